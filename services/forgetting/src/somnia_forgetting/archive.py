"""The cold archive: a partition of the memory store of the namespace's own (`archive_namespace`), out of
the hot index. The store moves records in one transaction where it has them (embedded) and copies
then deletes where it has not (Weaviate tenants): a crash leaves a memory in one place or both (found
hot, and moved again by the next sweep), never in neither."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from somnia_contracts import archive_namespace
from somnia_graph_store import MemoryUse
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, scan_all

from somnia_forgetting.ports import StrengthGraph

PAGE = 500


class ColdArchive:
    def __init__(self, store: MemoryStore, graph: StrengthGraph) -> None:
        self._store = store
        self._graph = graph

    async def archive(self, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]:
        """Move hot memories to the archive; returns those moved (ids not hot are skipped)."""
        moved: list[MemoryRecord] = []
        cold = archive_namespace(namespace)
        for start in range(0, len(memory_ids), PAGE):
            records = await self._store.get(namespace, memory_ids[start : start + PAGE])
            if records:
                await self._store.move(namespace, cold, [r.memory_id for r in records])
                moved.extend(records)
        return moved

    async def restore(
        self,
        namespace: str,
        *,
        memory_ids: Sequence[str] = (),
        session_id: str = "",
        everything: bool = False,
        now: datetime,
    ) -> list[MemoryRecord]:
        """Bring archived memories back to the hot index, each with a fresh use (so the next sweep does
        not archive it again at once); returns those restored."""
        cold = archive_namespace(namespace)
        if memory_ids:
            records = [
                r
                for s in range(0, len(memory_ids), PAGE)
                for r in await self._store.get(cold, memory_ids[s : s + PAGE])
            ]
        elif session_id or everything:
            where = SearchFilter(session_ids=(session_id,)) if session_id else None
            records = [r async for r in scan_all(self._store, cold, where, page_size=PAGE)]
        else:
            raise ValueError("say what to restore: memory ids, a session, or everything")
        restore_id = uuid.uuid4().hex
        for start in range(0, len(records), PAGE):
            page = records[start : start + PAGE]
            await self._store.move(cold, namespace, [r.memory_id for r in page])
            await self._graph.record_uses(
                [
                    MemoryUse(namespace=namespace, memory_id=r.memory_id, use_id=f"restore-{restore_id}", used_at=now)
                    for r in page
                ]
            )
        return records

    async def count(self, namespace: str) -> int:
        return await self._store.count(archive_namespace(namespace))
