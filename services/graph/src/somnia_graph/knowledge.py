"""What a batch of new memories says about older ones, found and written in one place: replacements
(supersession.py), retractions (retraction.py) and changed dependencies (dependencies.py), with the
insights made from what they invalidate cascaded (somnia_graph_store.cascade).

Order matters: a retraction is not also read as a correction of its neighbour, and the dependency
tracker sees which memories this batch replaced or took back, so their dependents follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from somnia_contracts import MemoryWithdrawn
from somnia_graph_store import WITHDRAWN_STATUSES, MemoryNode, Supersession, Verdict, VerdictStatus, cascade_verdicts
from somnia_memory_store import MemoryRecord, MemoryStore

from somnia_graph.dependencies import DependencyTracker
from somnia_graph.ports import LinkingGraph
from somnia_graph.retraction import RetractionDetector
from somnia_graph.supersession import Detected, SupersessionDetector

# What an insight made from a memory with this verdict becomes (a sole source passes its status on).
CASCADED: dict[VerdictStatus, VerdictStatus] = {
    "disproven": "disproven",
    "retracted": "retracted",
    "deleted_by_user": "retracted",
    "uncertain": "downgraded",
}


@dataclass
class KnowledgeKeeper:
    graph: LinkingGraph
    store: MemoryStore | None = None
    supersession: SupersessionDetector | None = None
    retraction: RetractionDetector | None = None
    dependencies: DependencyTracker | None = None

    async def update(self, memories: Sequence[MemoryNode]) -> list[MemoryWithdrawn]:
        """Write what `memories` say about older ones; returns the withdrawals to announce (one event per
        statement that took memories back), for Recall to erase them when the deployment asks it to."""
        read = self.retraction is not None or self.dependencies is not None
        records = await self._records(memories) if read else []
        withdrawn = await self.retraction.detect(records) if self.retraction is not None else []
        retracting = {v.evidence_id for v in withdrawn}
        detected = (
            await self.supersession.detect(
                [m for m in memories if m.memory_id not in retracting], records if read else None
            )
            if self.supersession is not None
            else Detected()
        )
        changed = {s.older_id: s.newer_id for s in detected.supersessions} | {
            v.memory_id: v.evidence_id for v in (*withdrawn, *detected.verdicts)
        }
        tracked = await self.dependencies.track(records, changed) if self.dependencies is not None else None
        verdicts = [*withdrawn, *detected.verdicts, *(tracked.verdicts if tracked is not None else ())]
        supersessions = [*detected.supersessions, *(tracked.supersessions if tracked is not None else ())]
        if verdicts:
            await self.graph.upsert_verdicts(verdicts)
        if supersessions:
            await self.graph.upsert_supersessions(supersessions)
        await self._cascade(verdicts, supersessions)
        return withdrawals(verdicts, {r.memory_id: r for r in records})

    async def _records(self, memories: Sequence[MemoryNode]) -> list[MemoryRecord]:
        assert self.store is not None, "retraction and dependency tracking read the memory store"
        by_namespace: dict[str, list[str]] = {}
        for m in memories:
            by_namespace.setdefault(m.namespace, []).append(m.memory_id)
        return [r for namespace, ids in by_namespace.items() for r in await self.store.get(namespace, ids)]

    async def _cascade(self, verdicts: Sequence[Verdict], supersessions: Sequence[Supersession]) -> None:
        """Insights made from what changed are changed too (keyed by the cause: a redelivery adds none)."""
        for v in verdicts:
            status = CASCADED.get(v.status)
            if status is not None:
                await cascade_verdicts(
                    self.graph,
                    v.namespace,
                    {v.memory_id: status},
                    reason=f"{v.status} ({v.reason})"[:300],
                    recorded_at=v.recorded_at,
                    cause_id=f"{v.verdict_id}:{v.memory_id}",
                )
        for s in supersessions:  # insights quoting the old value are less certain now
            await cascade_verdicts(
                self.graph,
                s.namespace,
                {s.older_id: "downgraded"},
                reason=f"superseded by {s.newer_id} ({s.reason})",
                recorded_at=s.recorded_at,
                cause_id=s.newer_id,
            )


def withdrawals(verdicts: Sequence[Verdict], said: dict[str, MemoryRecord]) -> list[MemoryWithdrawn]:
    """One event per statement that took memories back (its session is the event's)."""
    taken: dict[tuple[str, str, str], list[Verdict]] = {}
    for v in verdicts:
        if v.status in WITHDRAWN_STATUSES and v.evidence_id in said:
            taken.setdefault((v.namespace, v.evidence_id, v.status), []).append(v)
    return [
        MemoryWithdrawn(
            namespace=namespace,
            session_id=said[by].session_id,
            memory_ids=tuple(sorted({v.memory_id for v in group})),
            status="deleted_by_user" if status == "deleted_by_user" else "retracted",
            by_memory_id=by,
            withdrawn_at=group[0].recorded_at,
        )
        for (namespace, by, status), group in taken.items()
    ]
