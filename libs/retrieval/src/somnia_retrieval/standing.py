"""What later knowledge says about the memories in a recall's pool, applied before ranking.

A memory that something newer replaces, or that was disproven, found uncertain or downgraded, stays
in the answer, flagged and lowered; the memory that changed it (the replacement, the evidence, the
upstream change) comes with it at least as high: never silently as if still true. A memory its speaker
took back (retracted, deleted_by_user) is left out unless the caller asks for it, and what took it back
takes its place, so "which gym do I go to?" is answered with the retraction. A conditional plan whose
condition came true (`current`) comes with the memory that made it so, and that memory with the plan.

`as_of` bounds what was known (record time); `valid_at` what had happened by then in the world (the
conversation's own time): a change said after `valid_at` does not apply yet.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from somnia_graph_store import WITHDRAWN_STATUSES, Supersession, Verdict
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter

from somnia_retrieval.filters import matches
from somnia_retrieval.models import Candidate, Standing
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.settings import RankingSettings

# How an item is lowered by its status, as a share of the settings' penalties.
SOFT = frozenset({"downgraded", "uncertain"})


class StandingReader:
    def __init__(self, graph: RankingGraph, store: MemoryStore, settings: RankingSettings) -> None:
        self._graph = graph
        self._store = store
        self._settings = settings

    async def apply(
        self,
        namespace: str,
        pool: dict[str, Candidate],
        *,
        filter: SearchFilter | None = None,
        as_of: datetime | None = None,
        valid_at: datetime | None = None,
        include_withdrawn: bool = False,
        bring_causes: bool = True,
        bring_plans: bool = True,
    ) -> None:
        """`bring_causes` false keeps what changed a memory out of the pool when it is not already there
        (searching a cold partition, whose pool must not fill with hot memories); `bring_plans` false, the
        plans that pooled news made current (a timeline lists values, and a plan is none)."""
        if not pool:
            return
        # The pool's two reads go out together; replacements are applied first, and what they bring into
        # the pool has its verdicts read after (a plan that took over comes with the change that made it
        # current).
        read = list(pool)
        replaced, judged, triggered = await asyncio.gather(
            self._graph.superseded(namespace, read, as_of=as_of),
            self._graph.verdicts(namespace, read, as_of=as_of),
            self._graph.made_current(namespace, read, as_of=as_of),
        )
        if bring_causes and bring_plans:
            await self._bring_plans(namespace, pool, triggered, filter)
        newer = await self._records(namespace, pool, [s.newer_id for s in replaced.values()])
        for older_id, supersession in replaced.items():
            record = newer.get(supersession.newer_id)
            if valid_at is not None and (record is None or record.occurred_at > valid_at):
                continue  # replaced only later in the world
            self._superseded(pool, pool[older_id], supersession, record, filter)
        asked = set(read)
        brought = [m for m in pool if m not in asked]
        if brought:
            judged = {**judged, **await self._graph.verdicts(namespace, brought, as_of=as_of)}
        causes = await self._records(namespace, pool, [v.evidence_id for v in judged.values() if v.evidence_id])
        withdrawn: list[str] = []
        for memory_id, verdict in judged.items():
            if valid_at is not None and (verdict.changed_at or verdict.recorded_at) > valid_at:
                continue
            candidate = pool[memory_id]
            if candidate.standing.since is not None and candidate.standing.since > verdict.recorded_at:
                continue  # superseded after the verdict: the newer knowledge speaks
            cause = causes.get(verdict.evidence_id) if bring_causes or verdict.evidence_id in pool else None
            self._judged(pool, candidate, verdict, cause, filter)
            if verdict.status in WITHDRAWN_STATUSES and not include_withdrawn:
                withdrawn.append(memory_id)
        for memory_id in withdrawn:
            del pool[memory_id]

    async def _bring_plans(
        self,
        namespace: str,
        pool: dict[str, Candidate],
        triggered: dict[str, list[str]],
        filter: SearchFilter | None,
    ) -> None:
        """A plan that news in the pool made current comes into the pool as relevant as that news ("I got the
        job in Leeds" for "how will I get to work?" brings "should I change jobs, I'd take the train"); its
        verdict, read with what else was brought, then ties the two (`_judged`)."""
        plans = await self._records(namespace, pool, [p for plans in triggered.values() for p in plans])
        for trigger, ids in triggered.items():
            for plan_id in ids:
                record = plans.get(plan_id)
                if record is None or plan_id in pool or not matches(record, filter):
                    continue
                pool[plan_id] = Candidate(
                    record=record, relevance=pool[trigger].relevance, paths=[f"made current by {trigger}"]
                )

    async def _records(self, namespace: str, pool: dict[str, Candidate], ids: list[str]) -> dict[str, MemoryRecord]:
        """The records of `ids`, from the pool or else the store."""
        missing = sorted({i for i in ids if i not in pool})
        fetched = {r.memory_id: r for r in await self._store.get(namespace, missing)} if missing else {}
        return {i: pool[i].record if i in pool else fetched[i] for i in ids if i in pool or i in fetched}

    def _superseded(
        self,
        pool: dict[str, Candidate],
        old: Candidate,
        supersession: Supersession,
        newer: MemoryRecord | None,
        filter: SearchFilter | None,
    ) -> None:
        when = supersession.recorded_at.date().isoformat()
        old.standing = Standing(
            "superseded",
            by=supersession.newer_id,
            reason=supersession.reason,
            since=supersession.recorded_at,
            valid_to=newer.occurred_at if newer is not None else None,
        )
        old.paths.append(f"superseded by {supersession.newer_id} ({supersession.reason}; known since {when})")
        relevance = old.relevance
        old.relevance *= 1.0 - self._settings.superseded_penalty
        _bring(pool, newer, old, relevance, f"replaces {old.record.memory_id} ({supersession.reason})", filter)

    def _judged(
        self,
        pool: dict[str, Candidate],
        old: Candidate,
        verdict: Verdict,
        cause: MemoryRecord | None,
        filter: SearchFilter | None,
    ) -> None:
        old.standing = Standing(
            verdict.status,
            by=verdict.evidence_id,
            reason=verdict.reason,
            since=verdict.recorded_at,
            # Disproven or taken back: it never held. Downgraded, uncertain, current: it may still hold.
            valid_to=None if verdict.status in SOFT or verdict.status == "current" else old.record.occurred_at,
        )
        evidence = f" by {verdict.evidence_id}" if verdict.evidence_id else ""
        old.paths.append(
            f"{verdict.status}{evidence} ({verdict.reason or 'no reason given'}; "
            f"known since {verdict.recorded_at.date().isoformat()})"
        )
        relevance = old.relevance
        if verdict.status == "current":  # the plan holds now: it answers for what it replaced
            old.relevance *= 1.0 + self._settings.current_boost
            _bring(pool, cause, old, relevance, f"made {old.record.memory_id} current ({verdict.reason})", filter)
            return
        penalty = self._settings.downgraded_penalty if verdict.status in SOFT else self._settings.superseded_penalty
        old.relevance *= 1.0 - penalty
        if verdict.status != "downgraded":
            _bring(pool, cause, old, relevance, f"changed {old.record.memory_id}: {verdict.status}", filter)


def _bring(
    pool: dict[str, Candidate],
    record: MemoryRecord | None,
    changed: Candidate,
    relevance: float,
    path: str,
    filter: SearchFilter | None,
) -> None:
    """The memory that changed another comes with it, at least as relevant as the changed one was."""
    if record is None:
        return
    candidate = pool.get(record.memory_id)
    if candidate is None:
        if not matches(record, filter):
            return
        candidate = pool[record.memory_id] = Candidate(record=record, relevance=0.0)
    candidate.relevance = max(candidate.relevance, relevance)
    candidate.paths.append(path)
    if changed.record.memory_id not in candidate.explains:
        candidate.explains.append(changed.record.memory_id)
