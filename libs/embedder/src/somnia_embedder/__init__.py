"""Text embedders behind one port, chosen by settings."""

from somnia_embedder.factory import OFFLINE as OFFLINE_EMBEDDERS
from somnia_embedder.factory import LazyEmbedder, create_embedder, create_offline_embedder, with_kind
from somnia_embedder.names import settings_kind_of
from somnia_embedder.ports import Embedder, EmbedderError, Vectors
from somnia_embedder.settings import EmbedderSettings

__all__ = [
    "OFFLINE_EMBEDDERS",
    "Embedder",
    "EmbedderError",
    "EmbedderSettings",
    "LazyEmbedder",
    "Vectors",
    "create_embedder",
    "create_offline_embedder",
    "settings_kind_of",
    "with_kind",
]
