"""What the indexing service depends on: an embedder and a memory store (both from libs/)."""

from somnia_embedder import Embedder, EmbedderError
from somnia_memory_store import MemoryStore

__all__ = ["Embedder", "EmbedderError", "MemoryStore"]
