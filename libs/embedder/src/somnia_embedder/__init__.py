"""Text embedders behind one port, chosen by settings."""

from somnia_embedder.factory import create_embedder
from somnia_embedder.ports import Embedder, EmbedderError
from somnia_embedder.settings import EmbedderSettings

__all__ = ["Embedder", "EmbedderError", "EmbedderSettings", "create_embedder"]
