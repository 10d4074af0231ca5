"""Everything the promotion rule weighs, read from the stores: the namespace's insights and procedures
(what dreaming made) and the stated facts agents keep recalling, each with its sessions, agents, uses,
success, and whether it or anything it rests on changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from somnia_graph_store import TurnRef
from somnia_memory_model import DREAMT_KINDS, EPISODIC, headline_of
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, scan_all
from somnia_parametric import CandidateStats, PromotedMemory
from somnia_tokens import TokenCounter

from somnia_dreaming import reader
from somnia_dreaming.models import DreamWindow
from somnia_dreaming.ports import DreamingGraph

BATCH = 500


@dataclass(frozen=True)
class Candidates:
    stats: list[CandidateStats]
    sessions_per_day: float
    sessions: int


def topic_of(record: MemoryRecord) -> str:
    """An insight's subject from its headline ('Recurring topic across 5 sessions: gym.' -> 'gym');
    empty for a stated fact (the dataset names it by its first words)."""
    if record.kind not in DREAMT_KINDS:
        return ""
    headline = headline_of(record.text)
    return headline.split(": ", 1)[-1].split(";", 1)[0].strip().rstrip(".")[:80]


def promoted_memory(record: MemoryRecord) -> PromotedMemory:
    return PromotedMemory(memory_id=record.memory_id, kind=record.kind, text=record.text, topic=topic_of(record))


class CandidateReader:
    def __init__(self, store: MemoryStore, graph: DreamingGraph, tokens: TokenCounter, page_size: int = 200) -> None:
        self._store, self._graph, self._tokens, self._page = store, graph, tokens, page_size

    async def read(self, window: DreamWindow, *, min_fact_uses: int) -> tuple[Candidates, dict[str, MemoryRecord]]:
        """The candidates and their records (what a dataset is written from)."""
        ns = window.namespace
        agents: dict[str, str] = {}
        async for digest in reader.session_digests(self._graph, window, self._page):
            agents[digest.session_id] = digest.agent
        days = max((window.until - window.since).total_seconds() / 86400, 1e-9)
        sessions = len(agents)

        dreamt = [r async for r in scan_all(self._store, ns, SearchFilter(kinds=DREAMT_KINDS), page_size=self._page)]
        facts = await self._used_facts(window, min_fact_uses)
        records = {r.memory_id: r for r in (*dreamt, *facts)}
        sources = await self._graph.insight_sources(ns, [r.memory_id for r in dreamt]) if dreamt else {}
        source_records = await self._get(ns, sorted({s for ids in sources.values() for s in ids}))
        uses = await self._batched_uses(ns, list(records))
        changed = await self._changes(ns, [*records, *source_records])

        stats = []
        for record in records.values():
            own = [source_records[s] for s in sources.get(record.memory_id, ()) if s in source_records]
            missing = len(sources.get(record.memory_id, ())) - len(own)
            used = uses.get(record.memory_id, 0)
            if record.kind in DREAMT_KINDS:  # an insight is as broad as the sessions it was made from
                session_ids = {r.session_id for r in own}
                breadth, agent_count = len(session_ids), len({agents[s] for s in session_ids if s in agents})
            else:  # a stated fact is as broad as the recalls that reached for it, in its namespace's agent
                breadth, agent_count = used, 1
            # Unchanged since when: by the conversation's own time (imported history counts its own past),
            # unless later knowledge about it was recorded (a verdict or a supersession: its record time).
            status, when = changed.get(record.memory_id, (record.status, record.occurred_at))
            unsettled = _unsettled(own, changed, missing)
            rested_on = [changed.get(r.memory_id, (r.status, r.occurred_at))[1] for r in own]
            stats.append(
                CandidateStats(
                    memory_id=record.memory_id,
                    kind=record.kind,
                    text=record.text,
                    topic=topic_of(record),
                    status=status,
                    tokens=self._tokens.count(record.text),
                    sessions=breadth,
                    agents=max(1, agent_count),
                    uses=used,
                    reach=min(1.0, used / sessions) if sessions else 0.0,
                    success_lower=await self._success(ns, own) if record.kind == "procedural" else None,
                    changed_at=max([when, *rested_on]),
                    unsettled=unsettled,
                )
            )
        return Candidates(stats=stats, sessions_per_day=sessions / days, sessions=sessions), records

    async def _used_facts(self, window: DreamWindow, min_uses: int) -> list[MemoryRecord]:
        """Stated facts of the window recalled at least `min_uses` times."""
        found: list[MemoryRecord] = []
        page: list[MemoryRecord] = []
        where = SearchFilter(kinds=(EPISODIC,), occurred_after=window.since, occurred_before=window.until)
        async for record in scan_all(self._store, window.namespace, where, page_size=self._page):
            page.append(record)
            if len(page) == BATCH:
                found += await self._keep_used(window.namespace, page, min_uses)
                page = []
        return found + await self._keep_used(window.namespace, page, min_uses)

    async def _keep_used(self, ns: str, page: list[MemoryRecord], min_uses: int) -> list[MemoryRecord]:
        if not page:
            return []
        uses = await self._graph.memory_uses(ns, [r.memory_id for r in page])
        return [r for r in page if r.memory_id in uses and uses[r.memory_id].count >= min_uses]

    async def _get(self, ns: str, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        got: dict[str, MemoryRecord] = {}
        for start in range(0, len(ids), BATCH):
            got.update((r.memory_id, r) for r in await self._store.get(ns, ids[start : start + BATCH]))
        return got

    async def _batched_uses(self, ns: str, ids: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(0, len(ids), BATCH):
            for memory_id, history in (await self._graph.memory_uses(ns, ids[start : start + BATCH])).items():
                counts[memory_id] = history.count
        return counts

    async def _changes(self, ns: str, ids: Sequence[str]) -> dict[str, tuple[str, datetime]]:
        """Memories that later knowledge changed: the newest verdict or supersession, as a status and
        when it was recorded."""
        found: dict[str, tuple[str, datetime]] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            for memory_id, s in (await self._graph.superseded(ns, chunk)).items():
                found[memory_id] = ("superseded", s.recorded_at)
            for memory_id, v in (await self._graph.verdicts(ns, chunk)).items():
                if memory_id not in found or found[memory_id][1] < v.recorded_at:
                    # `current`: a declared replacement took over; it holds, but only since then.
                    found[memory_id] = ("asserted" if v.status == "current" else v.status, v.recorded_at)
        return found

    async def _success(self, ns: str, sources: Sequence[MemoryRecord]) -> float | None:
        turns = [TurnRef(session_id=r.session_id, turn_id=r.turn_id) for r in sources]
        bounds = await self._graph.pattern_success(ns, turns) if turns else {}
        return max(bounds.values()) if bounds else None


def _unsettled(sources: Sequence[MemoryRecord], changed: dict[str, tuple[str, datetime]], missing: int) -> str:
    """Why an insight is not settled although its own status is: what it was made from moved."""
    if missing:
        return f"{missing} of its sources are gone (erased or archived)"
    moved = [
        r.memory_id
        for r in sources
        if r.status != "asserted" or changed.get(r.memory_id, ("asserted",))[0] != "asserted"
    ]
    return f"{len(moved)} of its sources changed" if moved else ""
