"""Each ranking signal alone, then the pipeline on real memories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from somnia_contracts import memory_id_for
from somnia_embedder import Embedder
from somnia_graph_store import FeedbackCounts, Verdict
from somnia_memory_model import importance
from somnia_memory_store import MemoryRecord
from somnia_retrieval import Candidate, InvalidQuery, RankingSettings
from somnia_retrieval.expansion import specificity
from somnia_retrieval.models import Standing
from somnia_retrieval.rerank import mmr_order, recency
from somnia_retrieval.standing import StandingReader

from .conftest import NS, World, turn_id


def candidate(text: str, *explains: str) -> Candidate:
    """A pooled memory whose id is its text, at relevance 0.5, explaining `explains`."""
    record = MemoryRecord(
        memory_id=text,
        namespace=NS,
        text=text,
        session_id="s",
        turn_id=text,
        role="user",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        embedder="e",
        vector=np.ones(3, dtype=np.float32),
    )
    return Candidate(record=record, relevance=0.5, explains=list(explains))


def test_recency_halves_every_half_life() -> None:
    now = datetime(2026, 1, 31, tzinfo=UTC)
    assert recency(now, now, 30) == pytest.approx(1.0)
    assert recency(now - timedelta(days=30), now, 30) == pytest.approx(0.5)
    assert recency(now + timedelta(days=1), now, 30) == pytest.approx(1.0)  # clock skew is not the future


def test_importance_moves_with_feedback_and_is_bounded() -> None:
    assert importance(None) == 0
    assert importance(FeedbackCounts(helped=1)) == pytest.approx(0.5)
    assert importance(FeedbackCounts(misled=3)) == pytest.approx(-0.75)
    assert -1 < importance(FeedbackCounts(misled=1000)) < 0


def test_specificity_is_high_for_rare_entities() -> None:
    assert specificity(1, 1000) > 0.8
    assert specificity(900, 1000) < 0.05


def test_mmr_skips_a_near_duplicate() -> None:
    unit = np.asarray([[1, 0], [0.999, 0.045], [0, 1]], dtype=np.float32)
    scores = np.asarray([1.0, 0.99, 0.6])
    assert mmr_order(scores, unit, 2, lam=1.0) == [0, 1]
    assert mmr_order(scores, unit, 2, lam=0.6) == [0, 2]


async def test_entities_of_the_query_reach_what_search_ranks_low(world: World) -> None:
    plain = await world.retriever.recall(NS, "build-07", k=10, expand_graph=False, now=world.now)
    expanded = await world.retriever.recall(NS, "build-07", k=10, now=world.now)
    fix = memory_id_for(NS, "s2", turn_id("s2", 1), 0)
    assert fix in [m.record.memory_id for m in expanded]
    found = next(m for m in expanded if m.record.memory_id == fix)
    assert found.paths and found.why
    assert len(expanded) >= len(plain)


async def test_feedback_raises_what_helped(world: World) -> None:
    from somnia_graph_store import FeedbackNode

    before = await world.retriever.recall(NS, "Hannah", k=5, now=world.now)
    last = before[-1].record.memory_id
    await world.graph.upsert_feedback(
        [
            FeedbackNode(
                namespace=NS,
                feedback_id=f"f{i}",
                target="memory",
                target_id=last,
                signal="helped",
                reported_at=world.now,
            )
            for i in range(5)
        ]
    )
    after = await world.retriever.recall(NS, "Hannah", k=5, now=world.now)
    raised = next(m for m in after if m.record.memory_id == last)
    assert raised.importance > 0.8
    relevance = before[-1].score / (1 + 0.1 * before[-1].recency + 0.1 * before[-1].strength)
    assert raised.strength > before[-1].strength  # importance raises strength too
    assert raised.score == pytest.approx(
        relevance * (1 + 0.1 * raised.recency + 0.2 * raised.importance + 0.1 * raised.strength)
    )


async def test_bad_queries_say_what_to_fix(world: World) -> None:
    with pytest.raises(InvalidQuery, match="k=0"):
        await world.retriever.recall(NS, "x", k=0)
    with pytest.raises(InvalidQuery, match="in the future"):
        await world.retriever.recall(NS, "x", k=3, as_of=datetime.now(UTC) + timedelta(days=1))


def test_settings_defaults_are_valid() -> None:
    assert 0 < RankingSettings().mmr_lambda <= 1


def test_the_entity_boost_raises_memories_that_name_the_query_entities() -> None:
    from somnia_extraction import Entity, Extraction
    from somnia_retrieval.retriever import boost_named

    pool = {c.record.memory_id: c for c in map(candidate, ["Melanie plays the violin", "Caroline paints", "nothing"])}
    query = Extraction(
        entities=(
            Entity(key="melanie", name="Melanie", kind="name"),
            Entity(key="violin", name="violin", kind="topic"),
            Entity(key="date:2026-01-01", name="2026-01-01", kind="time"),  # days do not count here
        )
    )
    boost_named(pool, query, 0.5)
    assert pool["Melanie plays the violin"].relevance == pytest.approx(0.75)
    assert pool["Caroline paints"].relevance == pytest.approx(0.5)
    assert "names 'Melanie', 'violin' from the query" in pool["Melanie plays the violin"].paths


def test_a_picked_memory_that_later_knowledge_changed_is_followed_by_what_changed_it() -> None:
    from somnia_retrieval.rerank import with_explanations

    # 0 plan (made current by 5), 1-4 others, 5 the trigger (which also unsettled something not picked),
    # 6 the change behind 2 (not picked either).
    ordered = [candidate(n) for n in ("plan", "a", "dependent", "b", "c")]
    ordered += [candidate("trigger", "elsewhere", "plan"), candidate("change", "dependent")]
    names = lambda picks: [ordered[i].record.memory_id for i in picks]  # noqa: E731
    assert names(with_explanations(ordered, [0, 1, 2, 3, 4], 5)) == ["plan", "trigger", "a", "dependent", "change"]
    assert names(with_explanations(ordered, [1, 3, 4], 3)) == ["a", "b", "c"]  # nothing flagged: as picked
    assert names(with_explanations(ordered, [5, 0, 1], 3)) == ["trigger", "plan", "a"]  # already there: once
    assert names(with_explanations(ordered, [0], 1)) == ["plan"]  # k=1 holds
    # The news that made a plan current brings the plan (what it explains and still holds), not what it
    # unsettled: a stale memory is answered only beside its change, never brought by it.
    assert names(with_explanations(ordered, [5, 1, 3], 3)) == ["trigger", "a", "b"]  # "plan" not current
    ordered[0].standing = Standing("current", by="trigger")
    assert names(with_explanations(ordered, [5, 1, 3], 3)) == ["trigger", "plan", "a"]
    # ...but not in a timeline, which lists an attribute's values
    assert names(with_explanations(ordered, [5, 1, 3], 3, follow_plans=False)) == ["trigger", "a", "b"]


async def test_news_in_the_pool_brings_the_plan_it_made_current(world: World, embedder: Embedder) -> None:
    """The standing reader reads the MADE_CURRENT edge back from a pooled trigger: the plan joins the pool
    as relevant as the trigger, flagged current, and the trigger explains it."""
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)

    def said(memory_id: str, text: str, day: int) -> MemoryRecord:
        at = datetime(2026, 1, day, tzinfo=UTC)
        return MemoryRecord(
            memory_id=memory_id, namespace=NS, text=text, session_id="s", turn_id=memory_id, role="user",
            occurred_at=at, recorded_at=at, embedder=embedder.name, vector=vector,
        )  # fmt: skip

    plan = said("plan", "Should I change jobs, I'd take the train instead.", 1)
    trigger = said("trigger", "I changed jobs last month.", 20)
    await world.store.upsert([plan, trigger])
    verdict = Verdict(
        namespace=NS, memory_id="plan", verdict_id="current:trigger", status="current", evidence_id="trigger",
        reason="its condition came true", recorded_at=trigger.recorded_at, changed_at=trigger.occurred_at,
    )  # fmt: skip
    await world.graph.upsert_verdicts([verdict])
    reader = StandingReader(world.graph, world.store, RankingSettings())
    pool = {"trigger": Candidate(record=trigger, relevance=0.6)}
    await reader.apply(NS, pool)
    assert set(pool) == {"trigger", "plan"}
    assert pool["plan"].standing.status == "current" and pool["plan"].relevance > 0.6
    assert pool["trigger"].explains == ["plan"] and "made current by trigger" in pool["plan"].paths
    before = {"trigger": Candidate(record=trigger, relevance=0.6)}
    await reader.apply(NS, before, as_of=datetime(2026, 1, 10, tzinfo=UTC))  # not known yet then
    assert set(before) == {"trigger"}


@pytest.mark.parametrize(
    ("text", "little"),
    [
        ("Hey, me again.", True),
        ("Hi! What's on your mind?", True),
        ("Ha, fair enough.", True),
        ("Okay, noted.", True),
        ("Interesting.", True),  # stemmed as texts are: "interesting" was never matched as "interest"
        ("Understood, absolutely.", True),
        ("Sounds like quite a day.", True),  # "quite" is no "quit"
        ("Thanks for letting me know.", True),
        ("I quit the gym.", False),
        ("I like tea.", False),  # one telling word is something to answer with
        ("We moved our event bus to Kafka in the spring.", False),
        ("Wow! What got you into running?", False),
    ],
)
def test_small_talk_says_nothing_a_question_could_be_answered_with(text: str, little: bool) -> None:
    from somnia_retrieval.small_talk import says_little

    assert says_little(text) is little


@pytest.mark.parametrize("penalty", [0.0, 0.5])
async def test_a_question_with_a_preamble_finds_the_facts_above_the_greetings(
    tmp_path: Path, embedder: Embedder, penalty: float
) -> None:
    """ "Hey, quick one:" matches "Hey, quick chat?" by two words and the facts by none: small talk, which
    says nothing a question could be answered with, gives way (with the default penalty, not without)."""
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore
    from somnia_retrieval import Retriever

    said = [
        "Hey, quick chat?",
        "Hey, me again.",
        "Hi! Quick question for you.",
        "Hey there, quick one.",
        "We run our event bus on RabbitMQ.",
        "We moved our event bus to Kafka in the spring.",
    ]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    vectors = await embedder.embed(said)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    await store.upsert(
        [
            MemoryRecord(
                memory_id=f"m{n}",
                namespace=NS,
                text=text,
                session_id="s",
                turn_id=f"t{n}",
                role="user",
                occurred_at=at + timedelta(days=n),
                recorded_at=at + timedelta(days=n),
                embedder=embedder.name,
                vector=vectors[n],
            )
            for n, text in enumerate(said)
        ]
    )
    retriever = Retriever(embedder, store, RankingSettings(small_talk_penalty=penalty))
    found = await retriever.recall(
        NS, "Hey, quick one: which message buses have we used?", k=2, now=at + timedelta(days=30)
    )
    facts = {"We run our event bus on RabbitMQ.", "We moved our event bus to Kafka in the spring."}
    assert ({m.record.text for m in found} == facts) is (penalty > 0)
    await store.aclose()


async def test_uses_strengthen_a_memory_and_rank_it_higher(world: World) -> None:
    from somnia_graph_store import MemoryNode, MemoryUse

    before = await world.retriever.recall(NS, "Hannah", k=5, now=world.now)
    last = before[-1]
    await world.graph.upsert_memories(
        [
            MemoryNode(
                namespace=NS,
                session_id=last.record.session_id,
                turn_id=last.record.turn_id,
                memory_id=last.record.memory_id,
            )
        ]
    )
    await world.graph.record_uses(
        [
            MemoryUse(
                namespace=NS, memory_id=last.record.memory_id, use_id=f"r{d}", used_at=world.now - timedelta(days=d)
            )
            for d in range(6)
        ]
    )
    after = await world.retriever.recall(NS, "Hannah", k=5, now=world.now)
    used = next(m for m in after if m.record.memory_id == last.record.memory_id)
    assert used.strength > 0.9 > last.strength
    assert used.score > last.score
