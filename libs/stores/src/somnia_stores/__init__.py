"""The three stores a service that reads and writes memories opens together (embedder, memory store,
graph): a library of its own so that services that open none of them (capture) carry no model runtime."""

from somnia_stores.reindexing import FollowingEmbedder, create_following_embedder, reindex
from somnia_stores.stores import Stores

__all__ = ["FollowingEmbedder", "Stores", "create_following_embedder", "reindex"]
