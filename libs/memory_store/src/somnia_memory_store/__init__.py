"""Memory storage behind one port: the embedded SQLite store on one machine, Weaviate on a cluster."""

from somnia_memory_store.factory import open_memory_store
from somnia_memory_store.models import MemoryRecord, ReindexProgress, SearchFilter, SearchHit
from somnia_memory_store.paging import scan_all
from somnia_memory_store.ports import (
    EmbedderMismatchError,
    MemoryStore,
    ReindexableStore,
    ReindexError,
    StoreError,
)
from somnia_memory_store.settings import MemoryStoreSettings
from somnia_memory_store.stop_words import STOP_WORDS

__all__ = [
    "STOP_WORDS",
    "EmbedderMismatchError",
    "MemoryRecord",
    "MemoryStore",
    "MemoryStoreSettings",
    "ReindexError",
    "ReindexProgress",
    "ReindexableStore",
    "SearchFilter",
    "SearchHit",
    "StoreError",
    "open_memory_store",
    "scan_all",
]
