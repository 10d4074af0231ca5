"""A dream run: its jobs in order, each checkpointed when done, each reporting progress and publishing
what it found. A run id that finished is not run again; one that failed or was killed resumes at its
first unfinished job, and every write a job makes is keyed by stable ids, so redoing a job rewrites
instead of duplicating."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol, get_args

from somnia_contracts import (
    DEFAULT_DREAM_JOBS,
    CommunityDetected,
    DreamEvent,
    DreamJob,
    InsightConsolidated,
    PatternMined,
    memory_id_for,
)
from somnia_graph_store import CommunityNode, SessionDigest
from somnia_memory_store import MemoryRecord, MemoryStore

from somnia_dreaming import reader
from somnia_dreaming.checkpoints import RunCheckpoints
from somnia_dreaming.jobs.clusters import cluster_points, sample_memories
from somnia_dreaming.jobs.communities import detect_communities
from somnia_dreaming.jobs.consolidate import Consolidator
from somnia_dreaming.jobs.patterns import mine_patterns
from somnia_dreaming.jobs.success import score_patterns
from somnia_dreaming.models import DreamRunState, DreamWindow, JobResult
from somnia_dreaming.parametric.promote import Promoter
from somnia_dreaming.ports import DreamingGraph
from somnia_dreaming.settings import DreamSettings

log = logging.getLogger("somnia.dreaming")

# A job runs after the jobs it reads from; asking for one brings them in.
NEEDS: dict[str, tuple[DreamJob, ...]] = {
    "success": ("patterns",),
    "consolidate": ("success", "communities", "clusters"),
}


def with_dependencies(jobs: tuple[DreamJob, ...]) -> tuple[DreamJob, ...]:
    wanted: set[str] = set()
    pending: list[DreamJob] = list(jobs or DEFAULT_DREAM_JOBS)
    while pending:
        job = pending.pop()
        if job not in wanted:
            wanted.add(job)
            pending.extend(NEEDS.get(job, ()))
    return tuple(j for j in get_args(DreamJob) if j in wanted)


class DreamJobFailed(RuntimeError):
    """A job hit bad data or an outage; the run is checkpointed as failed and resumes from this job."""

    def __init__(self, job: str, cause: BaseException) -> None:
        super().__init__(f"dream job {job!r} failed: {cause!r}; rerun the same run id to resume from it")
        self.job = job


class ProgressSink(Protocol):
    def started(self, job: str, total: int | None) -> None: ...

    def advanced(self, job: str, n: int = 1) -> None: ...

    def finished(self, job: str, result: JobResult) -> None: ...


class EventSink(Protocol):
    async def publish(self, event: DreamEvent) -> None: ...


class SilentProgress:
    def started(self, job: str, total: int | None) -> None:
        return None

    def advanced(self, job: str, n: int = 1) -> None:
        return None

    def finished(self, job: str, result: JobResult) -> None:
        log.info("dream job %s: %s (%.1f s)", job, result.note, result.seconds)


class DreamRunner:
    def __init__(
        self,
        graph: DreamingGraph,
        store: MemoryStore,
        consolidator: Consolidator,
        checkpoints: RunCheckpoints,
        settings: DreamSettings,
        *,
        events: EventSink | None = None,
        promoter: Promoter | None = None,
    ) -> None:
        self._graph, self._store, self._consolidator = graph, store, consolidator
        self._promoter = promoter
        self._checkpoints, self._events, self._settings = checkpoints, events, settings.service
        self._mining, self._success, self._groups = settings.mining, settings.success, settings.groups

    async def run(
        self,
        window: DreamWindow,
        run_id: str,
        jobs: tuple[DreamJob, ...] = (),
        progress: ProgressSink | None = None,
    ) -> DreamRunState:
        sink = progress or SilentProgress()
        state = await self._checkpoints.get(window.namespace, run_id)
        if state is not None and state.status == "finished":
            log.info("dream run %s of %s already finished; nothing to do", run_id, window.namespace)
            for job, result in state.done.items():
                sink.finished(job, result)
            return state
        if state is None:
            state = DreamRunState(
                namespace=window.namespace,
                run_id=run_id,
                since=window.since,
                until=window.until,
                jobs=with_dependencies(jobs),
                started_at=datetime.now(UTC),
            )
        else:  # resuming: the checkpoint's window and jobs win, so both halves of the run agree
            window = DreamWindow(namespace=state.namespace, since=state.since, until=state.until)
        state = state.model_copy(update={"status": "running", "error": ""})
        await self._checkpoints.put(state)
        for job in state.jobs:
            if job in state.done:
                sink.finished(job, state.done[job])
                continue
            started = time.perf_counter()
            try:
                result = await self._job(job, window, state, sink)
            except Exception as exc:
                failed = state.model_copy(update={"status": "failed", "error": f"{job}: {exc!r}"})
                await self._checkpoints.put(failed)
                raise DreamJobFailed(job, exc) from exc
            result = result.model_copy(update={"seconds": round(time.perf_counter() - started, 3)})
            state = state.model_copy(update={"done": {**state.done, job: result}})
            await self._checkpoints.put(state)
            sink.finished(job, result)
        state = state.model_copy(update={"status": "finished", "finished_at": datetime.now(UTC)})
        await self._checkpoints.put(state)
        return state

    def _digests(self, window: DreamWindow) -> Callable[[], AsyncIterator[SessionDigest]]:
        return lambda: reader.session_digests(self._graph, window, self._settings.page_size)

    def _memories(self, window: DreamWindow) -> Callable[[], AsyncIterator[MemoryRecord]]:
        return lambda: reader.memories(self._store, window, self._settings.page_size)

    async def _job(self, job: DreamJob, window: DreamWindow, state: DreamRunState, sink: ProgressSink) -> JobResult:
        ns = window.namespace
        if job in ("patterns", "communities"):
            sink.started(job, await self._graph.count(ns, "Session"))
        elif job == "clusters":
            sink.started(job, await self._store.count(ns))
        elif job == "promote" and self._promoter is not None:
            sink.started(job, self._promoter.epochs)  # advanced once per training epoch
        else:
            sink.started(job, None)
        if job == "patterns":
            return await self._patterns(window, sink)
        if job == "success":
            return await self._score(ns, state)
        if job == "communities":
            return await self._communities(window, state, sink)
        if job == "clusters":
            return await self._clusters(window, state, sink)
        if job == "promote":
            return await self._promote(window, sink)
        return await self._consolidate(ns, state)

    async def _patterns(self, window: DreamWindow, sink: ProgressSink) -> JobResult:
        read = 0

        def counted() -> None:
            nonlocal read
            read += 1
            sink.advanced("patterns")

        patterns = await mine_patterns(window.namespace, self._digests(window), self._mining, on_session=counted)
        note = f"{len(patterns)} patterns {_count(p.kind for p in patterns)}"
        return JobResult(job="patterns", patterns=tuple(patterns), read=read, note=note)

    async def _score(self, ns: str, state: DreamRunState) -> JobResult:
        scored = await score_patterns(self._graph, state.done["patterns"].patterns, self._success)
        stamped = [p.model_copy(update={"run_id": state.run_id}) for p in scored]
        if stamped:
            await self._graph.upsert_patterns(stamped)
        now = datetime.now(UTC)
        for p in stamped:
            await self._publish(
                PatternMined(
                    namespace=ns,
                    run_id=state.run_id,
                    pattern_id=p.pattern_id,
                    kind=p.kind,
                    items=p.items,
                    support=p.support,
                    confidence=p.confidence,
                    success_mean=p.success_mean,
                    success_lower=p.success_lower,
                    mined_at=now,
                )
            )
        with_outcomes = sum(1 for p in stamped if p.successes + p.failures)
        note = f"{len(stamped)} scored, {with_outcomes} with outcomes"
        return JobResult(job="success", patterns=tuple(stamped), note=note)

    async def _communities(self, window: DreamWindow, state: DreamRunState, sink: ProgressSink) -> JobResult:
        ns = window.namespace
        previous = await self._graph.communities(ns, "entities")
        found = await detect_communities(
            ns, self._digests(window), previous, self._groups, on_session=lambda: sink.advanced("communities")
        )
        nodes = [
            d.node.model_copy(
                update={
                    "run_id": state.run_id,
                    "sources": tuple(memory_id_for(ns, t.session_id, t.turn_id, 0) for t in d.evidence),
                }
            )
            for d in found
        ]
        await self._write_groups(nodes, state.run_id)
        known = {c.community_id for c in previous}
        kept = sum(1 for n in nodes if n.community_id in known)
        return JobResult(
            job="communities", communities=tuple(nodes), note=f"{len(nodes)} communities, {kept} kept their id"
        )

    async def _clusters(self, window: DreamWindow, state: DreamRunState, sink: ProgressSink) -> JobResult:
        previous = await self._graph.communities(window.namespace, "cluster")
        points, seen = await sample_memories(
            self._memories(window), self._groups.max_cluster_points, on_memory=lambda: sink.advanced("clusters")
        )
        found = cluster_points(window.namespace, points, previous, self._groups)
        nodes = [c.node.model_copy(update={"run_id": state.run_id, "sources": tuple(c.representatives)}) for c in found]
        await self._write_groups(nodes, state.run_id)
        return JobResult(
            job="clusters",
            communities=tuple(nodes),
            read=seen,
            note=f"{len(nodes)} clusters from {len(points)} of {seen} memories",
        )

    async def _consolidate(self, ns: str, state: DreamRunState) -> JobResult:
        groups = [(c, c.sources) for c in (*state.done["communities"].communities, *state.done["clusters"].communities)]
        done = await self._consolidator.consolidate(ns, state.done["success"].patterns, groups, state.run_id)
        now = datetime.now(UTC)
        for insight in done.insights:
            await self._publish(
                InsightConsolidated(
                    namespace=ns,
                    run_id=state.run_id,
                    memory_id=insight.record.memory_id,
                    source=insight.source,
                    layer=insight.layer,
                    sources=len(insight.sources),
                    consolidated_at=now,
                )
            )
        return JobResult(
            job="consolidate",
            insights=tuple(i.record.memory_id for i in done.insights),
            note=f"{len(done.insights)} insights {_count(i.layer for i in done.insights)}",
        )

    async def _promote(self, window: DreamWindow, sink: ProgressSink) -> JobResult:
        if self._promoter is None:
            return JobResult(job="promote", note="no promotion here: this run has no adapter registry")

        def on_progress(line: dict[str, object]) -> None:
            if line.get("event") == "epoch":
                sink.advanced("promote")

        report = await self._promoter.promote(window, on_progress=on_progress)
        return JobResult(job="promote", read=len(report.explained.candidates.stats), note=report.note)

    async def _write_groups(self, nodes: list[CommunityNode], run_id: str) -> None:
        if not nodes:
            return
        await self._graph.upsert_communities(nodes)
        now = datetime.now(UTC)
        for n in nodes:
            await self._publish(
                CommunityDetected(
                    namespace=n.namespace,
                    run_id=run_id,
                    community_id=n.community_id,
                    kind=n.kind,
                    label=n.label or "(labelled when consolidated)",
                    size=n.size,
                    sessions=n.sessions,
                    detected_at=now,
                )
            )

    async def _publish(self, event: DreamEvent) -> None:
        if self._events is not None:
            await self._events.publish(event)


def _count(values: Iterable[str]) -> str:
    """'(24 topic, 4 tool_sequence)': what a job found, by kind, for its one-line note."""
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return "(" + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1])) + ")"
