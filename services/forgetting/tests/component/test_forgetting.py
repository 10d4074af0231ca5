"""Forgetting on the embedded stores with the real embedder: faded memories are consolidated into their
session's digest, archived out of the hot index and restorable; the hot budget holds; reports become
negative memories and verdicts that Recall shows, cascaded to the insights made from them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from somnia_contracts import MemoryFeedback, ToolCallPayload, TurnCaptured, archive_namespace, memory_id_for
from somnia_forgetting.archive import ColdArchive
from somnia_forgetting.negative import NegativeKnowledge
from somnia_forgetting.settings import ForgettingSettings
from somnia_forgetting.sweep import Sweeper, digest_id
from somnia_graph_store import CommunityNode, MemoryNode, MemoryUse
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_retrieval import RankingSettings, Retriever

NS = "acme/helper/alice"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@dataclass
class World:
    store: EmbeddedMemoryStore
    graph: EmbeddedGraphStore
    embedder: object

    def sweeper(self, **settings: object) -> Sweeper:
        return Sweeper(
            self.store,
            self.graph,
            self.embedder,  # type: ignore[arg-type]
            RankingSettings().law(),
            ForgettingSettings(**settings),  # type: ignore[arg-type]
        )

    async def remember(self, session: str, texts: Sequence[str], at: datetime, first_turn: int = 0) -> list[str]:
        vectors = await self.embedder.embed(list(texts))  # type: ignore[attr-defined]
        records = [
            MemoryRecord(
                memory_id=memory_id_for(NS, session, f"t{first_turn + n}", 0),
                namespace=NS,
                text=text,
                session_id=session,
                turn_id=f"t{first_turn + n}",
                role="user",
                occurred_at=at + timedelta(minutes=n),
                recorded_at=at + timedelta(minutes=n),
                embedder=self.embedder.name,  # type: ignore[attr-defined]
                vector=vectors[n],
            )
            for n, text in enumerate(texts)
        ]
        await self.store.upsert(records)
        await self.graph.upsert_memories(
            [MemoryNode(namespace=NS, session_id=session, turn_id=r.turn_id, memory_id=r.memory_id) for r in records]
        )
        return [r.memory_id for r in records]


@pytest.fixture
async def world(tmp_path: Path, embedder) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    graph = EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    yield World(store, graph, embedder)
    await store.aclose()
    await graph.aclose()


OLD_TRIP = [
    "We spent the spring holiday hiking the coastal path in Cornwall.",
    "The bed and breakfast in St Ives had a view over the harbour.",
    "It rained every afternoon, so we read in the pub by the fire.",
]
RECENT = ["I started learning the cello last week.", "My teacher says to practise twenty minutes a day."]


async def test_a_sweep_archives_what_faded_into_a_digest_and_restore_brings_it_back(world: World) -> None:
    old = await world.remember("trip", OLD_TRIP, NOW - timedelta(days=400))
    used = await world.remember(
        "garden", ["My tomatoes grow in the greenhouse by the shed."], NOW - timedelta(days=400)
    )
    recent = await world.remember("cello", RECENT, NOW - timedelta(days=2))
    # The garden memory was recalled on each of the last five days: it stays strong.
    await world.graph.record_uses(
        [MemoryUse(namespace=NS, memory_id=used[0], use_id=f"r{d}", used_at=NOW - timedelta(days=d)) for d in range(5)]
    )

    report = await world.sweeper().sweep(NS, NOW)

    assert report.hot_before == 6 and report.faded == 3 and report.archived == 3 and report.digests == 1
    assert {r.memory_id for r in await world.store.get(archive_namespace(NS), old)} == set(old)
    assert await world.store.get(NS, old) == []
    assert len(await world.store.get(NS, [*used, *recent])) == 3
    (digest,) = await world.store.get(NS, [digest_id(NS, "trip")])
    assert digest.kind == "semantic" and "Cornwall" in digest.text and digest.session_id == "trip"
    assert (await world.graph.insight_sources(NS, [digest.memory_id]))[digest.memory_id] == old

    # Recall searches the hot index only: the digest answers for the trip, the detail is cold.
    retriever = Retriever(world.embedder, world.store, RankingSettings(), graph=world.graph)  # type: ignore[arg-type]
    found = await retriever.recall(NS, "where did we stay in St Ives?", k=5, now=NOW)
    assert digest.memory_id in [m.record.memory_id for m in found]
    assert not set(old) & {m.record.memory_id for m in found}
    cold = await retriever.recall(NS, "where did we stay in St Ives?", k=1, now=NOW, partition=archive_namespace(NS))
    assert cold[0].record.memory_id == old[1]

    # Sweeping again changes nothing; restoring the session brings it back with a fresh use.
    again = await world.sweeper().sweep(NS, NOW)
    assert again.archived == 0
    restored = await ColdArchive(world.store, world.graph).restore(NS, session_id="trip", now=NOW)
    assert sorted(r.memory_id for r in restored) == sorted(old)
    assert await world.store.count(archive_namespace(NS)) == 0
    assert len(await world.store.get(NS, old)) == 3
    assert (await world.sweeper().sweep(NS, NOW + timedelta(hours=1))).archived == 0


async def test_the_hot_budget_archives_the_weakest_beyond_it(world: World) -> None:
    texts = [f"Note {n}: the build on branch feature-{n} passed its checks." for n in range(130)]
    for day in range(13):  # ten a day, older first: the oldest are the weakest
        await world.remember(f"day{day}", texts[day * 10 : day * 10 + 10], NOW - timedelta(days=13 - day))
    report = await world.sweeper(hot_budget=100, min_age_days=30).sweep(NS, NOW)
    # 30 over, then 4 more for the 4 digests that take hot room too.
    assert report.faded == 0 and report.over_budget == report.archived == 34 and report.digests == 4
    assert report.hot_after == 100 and await world.store.count(NS) == 100
    archived = await world.store.scan(archive_namespace(NS), limit=100)
    assert {r.session_id for r in archived} <= {"day0", "day1", "day2", "day3"}


async def test_reports_become_negative_memories_and_verdicts_that_recall_shows(world: World) -> None:
    (task,) = await world.remember(
        "deploy", ["Please deploy the billing service to staging."], NOW - timedelta(hours=3)
    )
    claims = await world.remember(
        "facts", ["The staging database runs Postgres 12.", "Staging deploys go through the blue cluster."], NOW
    )
    # An insight made from both claims: disproving one downgrades it.
    insight = "i-staging"
    vector = (await world.embedder.embed(["Staging: Postgres 12, blue cluster."]))[0]  # type: ignore[attr-defined]
    await world.store.upsert(
        [
            MemoryRecord(
                memory_id=insight,
                namespace=NS,
                kind="semantic",
                text="Staging: Postgres 12, blue cluster.",
                session_id="dream",
                turn_id="c-1",
                role="system",
                occurred_at=NOW,
                recorded_at=NOW,
                embedder=world.embedder.name,  # type: ignore[attr-defined]
                vector=vector,
            )
        ]
    )
    await world.graph.upsert_communities(
        [
            CommunityNode(
                namespace=NS,
                community_id="c-1",
                kind="cluster",
                label="staging",
                members=tuple(claims),
                size=2,
                insight_memory_id=insight,
                sources=tuple(claims),
            )
        ]
    )
    negative = NegativeKnowledge(world.store, world.graph, world.embedder)  # type: ignore[arg-type]

    def report(fid: str, signal: str, **fields: str) -> MemoryFeedback:
        return MemoryFeedback(
            namespace=NS,
            session_id=fields.pop("session_id", "deploy"),
            feedback_id=fid,
            signal=signal,  # type: ignore[arg-type]
            reported_at=NOW + timedelta(hours=1),
            **fields,
        )

    reports = [
        report("f1", "failed", note="the migration locked the invoices table"),
        report("f2", "checked_absent", note="looked in the runbook wiki for the staging VPN key"),
        report("f3", "disproven", memory_id=claims[0], evidence_id=task, note="staging runs Postgres 15 since June"),
        report("f4", "helped", memory_id=claims[1]),
    ]
    assert await negative.from_feedback(reports) == 4  # two memories, a verdict, its cascade
    assert await negative.from_feedback(reports[:3]) == 4  # redelivered: rewritten, not added
    negatives = await world.store.scan(NS, None, limit=50)
    texts = sorted(r.text for r in negatives if r.kind == "negative")
    assert len(texts) == 2
    assert texts[0].startswith("Checked on 2026-11-20: looked in the runbook wiki") and texts[0].endswith("not there.")
    assert texts[1].startswith('Tried "Please deploy the billing service to staging." on 2026-11-20: failed because')
    # The failed attempt is linked to the turn it quotes, so erasing that turn takes it too.
    tried = next(r.memory_id for r in negatives if r.text.startswith("Tried"))
    assert await world.graph.memories_quoting(NS, [task]) == [tried]

    retriever = Retriever(world.embedder, world.store, RankingSettings(), graph=world.graph)  # type: ignore[arg-type]
    found = {m.record.memory_id: m for m in await retriever.recall(NS, "which Postgres does staging run?", k=10)}
    wrong = found[claims[0]]
    assert wrong.standing.status == "disproven" and wrong.standing.by == task
    assert wrong.standing.valid_to == wrong.record.occurred_at and "Postgres 15" in wrong.standing.reason
    assert found[insight].standing.status == "downgraded"
    assert found[claims[1]].standing.status == "asserted"
    # Archived, it is still known to be wrong: the graph is not partitioned.
    await world.store.move(NS, archive_namespace(NS), [claims[0]])
    (cold,) = await retriever.recall(NS, "which Postgres does staging run?", k=1, partition=archive_namespace(NS))
    assert cold.record.memory_id == claims[0] and cold.standing.status == "disproven"
    await world.store.move(archive_namespace(NS), NS, [claims[0]])
    before = await retriever.recall(NS, "which Postgres does staging run?", k=10, as_of=NOW + timedelta(minutes=30))
    assert all(m.standing.status == "asserted" for m in before)
    # A recorded absence near the query is Recall's signal that the answer is not in memory.
    question = "where is the staging VPN key?"
    looked = await retriever.recall(NS, question, k=5, now=NOW + timedelta(hours=2))
    signal = await retriever.assess(question, looked)
    assert looked[0].record.kind == "negative" and signal.may_be_absent
    assert signal.best_match >= 0.45 and signal.entity_coverage >= 0.5  # the match alone would not warn


async def test_failed_tool_results_become_pitfalls(world: World) -> None:
    def turn(n: int, result: str) -> TurnCaptured:
        return TurnCaptured(
            namespace=NS,
            session_id="ops",
            turn_id=f"t{n}",
            role="tool",
            content="",
            tool_call=ToolCallPayload(name="kubectl_apply", arguments_json='{"file": "billing.yaml"}', result=result),
            occurred_at=NOW,
            captured_at=NOW,
        )

    negative = NegativeKnowledge(world.store, world.graph, world.embedder)  # type: ignore[arg-type]
    written = await negative.from_turns(
        [
            turn(1, "Error: admission webhook denied the request: missing label team"),
            turn(2, "deployment.apps/billing configured"),
        ]
    )
    assert written == 1
    (pitfall,) = await world.store.scan(NS, None, limit=10)
    assert pitfall.kind == "negative"
    assert pitfall.text.startswith('Tried kubectl_apply({"file": "billing.yaml"}) on 2026-11-20: failed because Error:')
    assert await world.graph.memories_quoting(NS, [memory_id_for(NS, "ops", "t1", 0)]) == [pitfall.memory_id]


async def test_of_faded_copies_the_strongest_stays_and_unique_detail_is_kept_longer(world: World) -> None:
    copies = await world.remember(
        "chat-a", ["Thanks so much, that is really kind of you!"] * 2, NOW - timedelta(days=150)
    )
    later = await world.remember("chat-b", ["Thanks so much, that is really kind of you!"], NOW - timedelta(days=120))
    unique = await world.remember(
        "facts", ["My passport number ends in 4471 and expires in 2031."], NOW - timedelta(days=150)
    )
    report = await world.sweeper().sweep(NS, NOW)
    # All four faded (below 0.3): the two weaker copies go; the strongest copy and the unique fact stay.
    assert report.archived == 2
    assert {r.memory_id for r in await world.store.get(NS, [*copies, *later, *unique])} == {later[0], unique[0]}
    # A year on, the unique fact is weaker than 0.2 and goes too (with the last copy, now unique).
    await world.sweeper().sweep(NS, NOW + timedelta(days=300))
    assert await world.store.get(NS, unique) == []
    assert len(await world.store.get(archive_namespace(NS), unique)) == 1


async def test_a_later_sweep_extends_the_sessions_digest(world: World) -> None:
    first = await world.remember("trip", OLD_TRIP, NOW - timedelta(days=400))
    await world.sweeper().sweep(NS, NOW)
    # The same session gets one more memory (as if restored, then faded again).
    later = await world.remember(
        "trip", ["We took the sleeper train back to London."], NOW - timedelta(days=390), first_turn=3
    )
    report = await world.sweeper().sweep(NS, NOW)
    assert report.archived == 1 and report.digests == 1
    (digest,) = await world.store.get(NS, [digest_id(NS, "trip")])
    sources = (await world.graph.insight_sources(NS, [digest.memory_id]))[digest.memory_id]
    assert set(sources) == {*first, *later}
    assert "Cornwall" in digest.text and "sleeper train" in digest.text
