"""A namespace's memories live in two partitions of the store, hot and archived; erasure reads and
deletes in both."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_contracts import archive_namespace
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, scan_all

PAGE = 500


def partitions(namespace: str) -> tuple[str, str]:
    """The hot index and the cold archive."""
    return namespace, archive_namespace(namespace)


async def get_any(store: MemoryStore, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]:
    found: list[MemoryRecord] = []
    for partition in partitions(namespace):
        for start in range(0, len(memory_ids), PAGE):
            found.extend(await store.get(partition, memory_ids[start : start + PAGE]))
    return found


async def delete_everywhere(store: MemoryStore, namespace: str, memory_ids: Sequence[str]) -> int:
    deleted = 0
    for partition in partitions(namespace):
        for start in range(0, len(memory_ids), PAGE):
            deleted += await store.delete(partition, memory_ids[start : start + PAGE])
    return deleted


async def scan(store: MemoryStore, partition: str, where: SearchFilter | None = None) -> list[MemoryRecord]:
    return [r async for r in scan_all(store, partition, where, page_size=PAGE)]
