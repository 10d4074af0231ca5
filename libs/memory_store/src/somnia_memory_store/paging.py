"""Reading a namespace page by page (`MemoryStore.scan`), for jobs that must not hold it all."""

from __future__ import annotations

from collections.abc import AsyncIterator

from somnia_memory_store.models import MemoryRecord, SearchFilter
from somnia_memory_store.ports import MemoryStore


async def scan_all(
    store: MemoryStore,
    namespace: str,
    filter: SearchFilter | None = None,
    *,
    page_size: int = 500,
    limit: int | None = None,
) -> AsyncIterator[MemoryRecord]:
    """Every record the filter matches, in id order, one page in memory at a time (at most `limit`)."""
    after, seen = "", 0
    while True:
        page = await store.scan(namespace, filter, after=after, limit=page_size)
        for record in page:
            if limit is not None and seen >= limit:
                return
            seen += 1
            yield record
        if len(page) < page_size:
            return
        after = page[-1].memory_id
