"""What recall depends on: an embedder for queries and a memory store (both from libs/)."""

from somnia_embedder import Embedder
from somnia_memory_store import MemoryStore

__all__ = ["Embedder", "MemoryStore"]
