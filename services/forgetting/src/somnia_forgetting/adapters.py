"""Forgetting reaches the weights, from the forgetting service: a memory withdrawn in conversation
(`memory.withdrawn`) makes the adapters holding it stale at once; and each sweep checks the memories
inside the namespace's live adapters against what is known now (superseded, disproved, made uncertain,
archived or gone), so a change that reached the graph another way is caught within one sweep."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_contracts import MemoryWithdrawn
from somnia_graph_store import UsesAndVerdicts
from somnia_memory_store import MemoryStore
from somnia_parametric import HOLDING, AdapterRecord, AdapterRegistry, StaleAdapters

BATCH = 500


async def adapters_after_withdrawal(stale: StaleAdapters, events: Sequence[MemoryWithdrawn]) -> int:
    changed = 0
    for e in events:
        why = f"{e.status.replace('_', ' ')} in conversation (memory {e.by_memory_id})"
        changed += len(await stale.memories_changed(e.namespace, e.memory_ids, why))
    return changed


class AdapterAudit:
    """The sweep's check of what adapters hold against what is known now."""

    def __init__(
        self, registry: AdapterRegistry, stale: StaleAdapters, store: MemoryStore, graph: UsesAndVerdicts
    ) -> None:
        self._registry, self._stale, self._store, self._graph = registry, stale, store, graph

    async def check(self, namespace: str) -> list[AdapterRecord]:
        held = [r for r in await self._registry.adapters(namespace) if r.status in HOLDING]
        ids = sorted({m for r in held for m in r.memory_ids})
        changed: list[AdapterRecord] = []
        for reason, memory_ids in (await self._changed(namespace, ids)).items():
            changed += await self._stale.memories_changed(namespace, memory_ids, reason)
        return changed

    async def _changed(self, namespace: str, ids: Sequence[str]) -> dict[str, list[str]]:
        """Memory ids grouped by why they no longer hold: one stale reason per group."""
        reasons: dict[str, list[str]] = {}
        for start in range(0, len(ids), BATCH):
            chunk = list(ids[start : start + BATCH])
            found = {r.memory_id: r for r in await self._store.get(namespace, chunk)}
            superseded = await self._graph.superseded(namespace, chunk)
            verdicts = await self._graph.verdicts(namespace, chunk)
            for memory_id in chunk:
                record = found.get(memory_id)
                if memory_id in superseded:
                    why = f"superseded by memory {superseded[memory_id].newer_id}"
                elif memory_id in verdicts:
                    why = f"{verdicts[memory_id].status} ({verdicts[memory_id].reason or 'a verdict'})"
                elif record is None:
                    why = "no longer in the hot index (archived or erased)"
                elif record.status != "asserted":
                    why = f"its status is now {record.status}"
                else:
                    continue
                reasons.setdefault(why, []).append(memory_id)
        return reasons
