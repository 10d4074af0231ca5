"""A dream run over synthetic sessions on the embedded stores, with the real embedder: the jobs find
what was planted, insights are recallable with provenance, and a run resumes cleanly after a failure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from somnia_dreaming import synthetic
from somnia_dreaming.checkpoints import InProcessCheckpoints
from somnia_dreaming.jobs.consolidate import Consolidator
from somnia_dreaming.models import DreamWindow
from somnia_dreaming.runner import DreamJobFailed, DreamRunner
from somnia_dreaming.settings import DreamSettings
from somnia_dreaming.summarize import ExtractiveSummarizer
from somnia_graph_store import SessionPage
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import SearchFilter
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

NS = "acme/ops-bot/team"
SESSIONS = 240


@dataclass
class World:
    store: EmbeddedMemoryStore
    graph: EmbeddedGraphStore
    truth: synthetic.GroundTruth
    window: DreamWindow
    embedder: object

    def runner(self, graph: object | None = None, checkpoints: InProcessCheckpoints | None = None) -> DreamRunner:
        g = graph or self.graph
        consolidator = Consolidator(self.store, g, self.embedder, ExtractiveSummarizer())  # type: ignore[arg-type]
        return DreamRunner(g, self.store, consolidator, checkpoints or InProcessCheckpoints(), DreamSettings.from_env())  # type: ignore[arg-type]


@pytest.fixture
async def world(tmp_path: Path, embedder) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    graph = EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    truth = synthetic.GroundTruth()
    start = datetime.now(UTC) - timedelta(days=3)
    sessions = list(synthetic.generate(SESSIONS, start=start, truth=truth))
    await synthetic.write(NS, sessions, graph, store, synthetic.TopicVectors(), embedder=embedder.name)
    window = DreamWindow(namespace=NS, since=start - timedelta(days=1), until=datetime.now(UTC) + timedelta(days=7))
    yield World(store, graph, truth, window, embedder)
    await store.aclose()
    await graph.aclose()


async def test_a_run_finds_the_planted_procedures_groups_and_clusters(world: World) -> None:
    state = await world.runner().run(world.window, "run-1")
    assert state.status == "finished"
    patterns = state.done["success"].patterns
    for index, planted in enumerate(synthetic.PROCEDURES):
        (sequence,) = [p for p in patterns if p.kind == "tool_sequence" and p.items == planted.tools]
        assert sequence.support == world.truth.procedure_sessions[index]
        assert sequence.successes == world.truth.procedure_successes[index]
        assert 0.0 < sequence.success_lower < sequence.success_mean
        assert any(p.kind == "problem_resolution" and p.items[0] == planted.problem for p in patterns)
    lower = {p.items: p.success_lower for p in patterns if p.kind == "tool_sequence"}
    worst = min(synthetic.PROCEDURES, key=lambda p: p.success_rate)
    assert min(lower[p.tools] for p in synthetic.PROCEDURES) == lower[worst.tools]
    # No sequence of noise tools is frequent and confident enough to count.
    assert not [p for p in patterns if p.kind == "tool_sequence" and p.items[0].startswith("tool_")]

    communities = {frozenset(c.members) for c in state.done["communities"].communities}
    assert communities == {frozenset(g.topics) for g in synthetic.GROUPS}

    clusters = state.done["clusters"].communities
    group_of = {}
    for s in synthetic.generate(SESSIONS, start=world.window.since + timedelta(days=1)):
        for t in s.turns:
            group_of[(s.session_id, t.turn_id)] = t.group
    records = {r.memory_id: r for r in await world.store.scan(NS, limit=10_000)}
    planted_turns = {g: sum(1 for v in group_of.values() if v == g) for g in range(len(synthetic.GROUPS))}
    for group in range(len(synthetic.GROUPS)):
        # Each planted group is one cluster: almost nothing else in it, and most of the group in it.
        assert any(
            sum(group_of[(records[m].session_id, records[m].turn_id)] == group for m in c.members) / c.size > 0.9
            and c.size > 0.6 * planted_turns[group]
            for c in clusters
        ), f"no cluster recovers group {synthetic.GROUPS[group].name}"


async def test_insights_are_recallable_with_their_layer_and_provenance(world: World) -> None:
    state = await world.runner().run(world.window, "run-1")
    insights = await world.store.get(NS, list(state.done["consolidate"].insights))
    kinds = {r.kind for r in insights}
    assert kinds == {"procedural", "semantic"}
    hits = await world.store.keyword_search(NS, "disk full df prune_logs", 5, SearchFilter(kinds=("procedural",)))
    assert hits and "prune_logs" in hits[0].record.text and "worked" in hits[0].record.text
    sources = await world.graph.insight_sources(NS, [hits[0].record.memory_id])
    quoted = await world.store.get(NS, sources[hits[0].record.memory_id])
    assert quoted and all(q.kind == "episodic" and q.text in hits[0].record.text for q in quoted)
    slow = await world.store.keyword_search(
        NS, "slow query explain_query add_index", 3, SearchFilter(kinds=("procedural",))
    )
    assert any(h.record.text.startswith("Pitfall") for h in slow)


async def test_rerunning_rewrites_in_place_and_keeps_group_ids(world: World) -> None:
    first = await world.runner().run(world.window, "run-1")
    count = await world.store.count(NS)
    second = await world.runner().run(world.window, "run-2")
    assert await world.store.count(NS) == count  # the same insights, rewritten
    ids = lambda s, job: {c.community_id for c in s.done[job].communities}  # noqa: E731
    assert ids(first, "communities") == ids(second, "communities")
    assert ids(first, "clusters") == ids(second, "clusters")


class ClusterOutage:
    """Fault injection: the real store, whose scan fails the first `failures` times (a backend outage)."""

    def __init__(self, store: EmbeddedMemoryStore, failures: int) -> None:
        self._store, self._failures = store, failures

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def scan(self, *args: object, **kwargs: object) -> object:
        if self._failures:
            self._failures -= 1
            raise ConnectionError("store unavailable")
        return await self._store.scan(*args, **kwargs)  # type: ignore[arg-type]


async def test_a_failed_job_leaves_no_insight_and_the_run_resumes_where_it_stopped(world: World) -> None:
    checkpoints = InProcessCheckpoints()
    before = await world.store.count(NS)
    runner = world.runner(checkpoints=checkpoints)
    runner._store = ClusterOutage(world.store, failures=1)  # type: ignore[assignment]
    with pytest.raises(DreamJobFailed, match="clusters"):
        await runner.run(world.window, "run-x")
    failed = await checkpoints.get(NS, "run-x")
    assert failed is not None and failed.status == "failed" and "clusters" in failed.error
    assert set(failed.done) == {"patterns", "success", "communities"}
    assert await world.store.count(NS) == before  # nothing half-consolidated
    resumed = await runner.run(world.window, "run-x")
    assert resumed.status == "finished"
    assert resumed.done["patterns"] == failed.done["patterns"]  # not redone
    after = await world.store.count(NS)
    assert after == before + len(resumed.done["consolidate"].insights)
    again = await runner.run(world.window, "run-x")  # a finished run is not run twice
    assert again.finished_at == resumed.finished_at and await world.store.count(NS) == after


class GraphOutageOnCommunities:
    """Fault injection: the real graph, whose community writes fail after the first `healthy` ones."""

    def __init__(self, graph: EmbeddedGraphStore, healthy: int) -> None:
        self._graph = graph
        self._healthy = healthy

    def __getattr__(self, name: str) -> object:
        return getattr(self._graph, name)

    async def upsert_communities(self, communities: Sequence[object]) -> None:
        if self._healthy == 0:
            raise ConnectionError("graph unavailable")
        self._healthy -= 1
        await self._graph.upsert_communities(communities)  # type: ignore[arg-type]

    async def session_digests(self, *args: object, **kwargs: object) -> SessionPage:
        return await self._graph.session_digests(*args, **kwargs)  # type: ignore[arg-type]


async def test_consolidation_that_fails_half_way_removes_what_it_wrote(world: World) -> None:
    graph = GraphOutageOnCommunities(world.graph, healthy=2)  # the communities and clusters jobs' writes
    runner = world.runner(graph=graph)
    before = await world.store.count(NS)
    with pytest.raises(DreamJobFailed, match="consolidate"):
        await runner.run(world.window, "run-y")
    assert await world.store.count(NS) == before
    assert await world.store.scan(NS, SearchFilter(kinds=("semantic", "procedural"))) == []


async def test_recall_and_warming_use_what_dreaming_made(world: World) -> None:
    from somnia_retrieval import RankingSettings, Retriever, WarmPackBuilder
    from somnia_retrieval.warm_pack import WarmRequest
    from somnia_tokens import TokenizerSettings, create_token_counter

    await world.runner().run(world.window, "run-1")
    retriever = Retriever(world.embedder, world.store, RankingSettings(), graph=world.graph)  # type: ignore[arg-type]
    found = await retriever.recall(NS, "Calling prune_logs for the disk full", k=10)
    assert any("mined pattern that works" in " ".join(m.paths) for m in found)
    builder = WarmPackBuilder(retriever, world.store, world.graph, create_token_counter(TokenizerSettings()))
    pack = await builder.build(
        WarmRequest(
            namespace=NS,
            session_id="new-session",
            agent="agent-1",
            opening="a disk full problem, and a question about the invoice refund and the stripe webhook",
            tools=("df",),
        )
    )
    layers = {layer.layer: layer for layer in pack.layers}
    assert any(i.kind == "procedural" and "prune_logs" in i.text for i in layers["L4"].items)
    assert any(i.kind == "semantic" and "invoice" in i.text for i in layers["L3"].items)
    # A procedure that mostly fails is a pitfall, set apart in L4.
    slow = await builder.build(
        WarmRequest(namespace=NS, session_id="other", opening="a slow query again", tools=("explain_query",))
    )
    (l4,) = [layer for layer in slow.layers if layer.layer == "L4"]
    pitfalls = l4.rendered.split("### Pitfalls: tried before, and failed\n", 1)
    assert len(pitfalls) == 2 and "Pitfall seen in" in pitfalls[1] and "add_index" in pitfalls[1]
