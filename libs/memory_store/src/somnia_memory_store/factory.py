"""Open the configured store; adapters are imported only when chosen."""

from __future__ import annotations

from somnia_memory_store.ports import MemoryStore
from somnia_memory_store.settings import MemoryStoreSettings


def open_memory_store(settings: MemoryStoreSettings) -> MemoryStore:
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    return EmbeddedMemoryStore(settings.data_dir / "memories.sqlite3", candidates=settings.candidates)
