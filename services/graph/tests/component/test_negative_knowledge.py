"""Negative knowledge said in conversation: a retraction takes a fact out of default recall and answers
in its place; a change to what a fact depends on makes it uncertain down a chain, with the change
brought along; a conditional plan becomes current when its condition comes true; `valid_at` tells what
held at a time of the conversation, and a timeline comes in order. Real embedder, embedded stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from somnia_contracts import MemoryIndexed, memory_id_for
from somnia_embedder import Embedder
from somnia_graph.cues import condition_of, retraction_of
from somnia_graph.dependencies import DependencyTracker
from somnia_graph.retraction import RetractionDetector
from somnia_graph.service import GraphLinker
from somnia_graph.supersession import SupersessionDetector
from somnia_graph_store import MemoryNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_retrieval import RankedMemory, RankingSettings, Retriever

NS = "acme/helper/dana"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
FILLER = [
    "The weather was lovely on the walk this morning.",
    "I finished a crossword over breakfast.",
    "My neighbour's dog barked at the postman again.",
    "I tried a new recipe for lentil soup.",
    "The train was a few minutes late today.",
    "I watched a documentary about octopuses.",
]


@dataclass
class World:
    store: EmbeddedMemoryStore
    graph: EmbeddedGraphStore
    retriever: Retriever
    ids: dict[str, str]

    async def recall(self, query: str, k: int = 5, **options: object) -> list[RankedMemory]:
        answer = await self.retriever.answer(NS, query, k=k, now=NOW, **options)  # type: ignore[arg-type]
        return answer.memories


async def remember(tmp_path: Path, embedder: Embedder, said: list[tuple[int, str]]) -> World:
    """Each (day, text) is a user turn of the session of that day, linked one by one as they arrive."""
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    linker = GraphLinker(
        graph,
        supersession=SupersessionDetector(store),
        memory_store=store,
        retraction=RetractionDetector(store),
        dependencies=DependencyTracker(store, graph),
    )
    lines = [*said, *((day, text) for day in sorted({d for d, _ in said}) for text in FILLER[day % 3 :: 3])]
    lines.sort(key=lambda line: line[0])
    vectors = await embedder.embed([text for _, text in lines])
    ids: dict[str, str] = {}
    for n, ((day, text), vector) in enumerate(zip(lines, vectors, strict=True)):
        at, session, turn = T0 + timedelta(days=day, minutes=n), f"s{day}", f"t{n}"
        memory_id = ids[text] = memory_id_for(NS, session, turn, 0)
        record = MemoryRecord(
            memory_id=memory_id,
            namespace=NS,
            text=f"Dana: {text}",
            session_id=session,
            turn_id=turn,
            role="user",
            occurred_at=at,
            recorded_at=NOW - timedelta(days=1),  # imported yesterday: record time says nothing of then
            embedder=embedder.name,
            vector=vector,
        )
        await store.upsert([record])
        await graph.upsert_memories([MemoryNode(namespace=NS, session_id=session, turn_id=turn, memory_id=memory_id)])
        indexed = MemoryIndexed(
            namespace=NS,
            session_id=session,
            turn_id=turn,
            memory_ids=(memory_id,),
            embedder=embedder.name,
            dimension=embedder.dimension,
            occurred_at=at,
            indexed_at=at,
        )
        await linker.link([indexed])
    return World(store, graph, Retriever(embedder, store, RankingSettings(), graph=graph), ids)


def texts(found: list[RankedMemory]) -> list[str]:
    return [m.record.text.removeprefix("Dana: ") for m in found]


@pytest.mark.parametrize(
    ("said", "status", "topic"),
    [
        ("Strike what I said about the gym.", "retracted", "the gym"),
        ("Never mind the part about my sister.", "retracted", "my sister"),
        ("Please forget what I told you about my landlord.", "deleted_by_user", "my landlord"),
        ("I'm not doing pottery any more.", "retracted", "doing pottery"),
        ("I was wrong about the Tuesday slot.", "retracted", "the tuesday slot"),
        ("Don't keep that.", "deleted_by_user", ""),
        ("That's outdated now.", "retracted", ""),
        ("Scratch that.", "retracted", ""),
    ],
)
def test_retractions_are_read_however_they_are_phrased(said: str, status: str, topic: str) -> None:
    found = retraction_of(f"Dana: {said}")
    assert found is not None and (found.status, found.topic) == (status, topic)


@pytest.mark.parametrize(
    "said", ["I go to the gym on Tuesdays.", "Never mind, I found it.", "What did I say about the gym?"]
)
def test_plain_statements_retract_nothing(said: str) -> None:
    assert retraction_of(said) is None


@pytest.mark.parametrize(
    ("said", "kind", "condition"),
    [
        ("I only go to Ironworks because it's near my flat.", "depends_on", "it's near my flat"),
        ("As long as I'm on this team I keep the early shift.", "depends_on", "i'm on this team"),
        ("We run the nightly export only while we're on MySQL.", "depends_on", "we're on mysql"),
        ("The only reason I go to Ironworks is that it's near my flat.", "depends_on", "it's near my flat"),
        ("Should I change jobs, I'd take the train instead.", "replaces_if", "i change jobs"),
        ("Once we switch to Postgres, the migration scripts go too.", "replaces_if", "we switch to postgres"),
        ("I'd take the train instead if I changed jobs.", "replaces_if", "i changed jobs"),
    ],
)
def test_dependencies_and_plans_are_read_with_their_condition(said: str, kind: str, condition: str) -> None:
    found = condition_of(said)
    assert found is not None and (found.kind, found.condition) == (kind, condition)


@pytest.mark.parametrize("said", ["I've lived here since 2019.", "Is it only because of the flat?", "I go to the gym."])
def test_plain_reasons_and_questions_state_no_dependency(said: str) -> None:
    assert condition_of(said) is None


async def test_a_retracted_fact_leaves_default_recall_and_the_retraction_answers(
    tmp_path: Path, embedder: Embedder
) -> None:
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "I go to the Ironworks gym on Mill Road on Tuesdays."),
            (9, "Still training at Ironworks every Tuesday, it's great."),
            (20, "Strike what I said about the gym, I cancelled the membership."),
            (25, "My sister Maya teaches chemistry in Bristol."),
            (25, "Don't keep that."),
        ],
    )
    found = await world.recall("Which gym do I go to?")
    assert texts(found)[0] == "Strike what I said about the gym, I cancelled the membership."
    assert not any("Ironworks" in t for t in texts(found))
    flagged = {m.record.memory_id: m for m in await world.recall("Which gym do I go to?", k=10, include_retracted=True)}
    gym, again = (
        world.ids["I go to the Ironworks gym on Mill Road on Tuesdays."],
        world.ids["Still training at Ironworks every Tuesday, it's great."],
    )
    assert flagged[gym].standing.status == "retracted" and flagged[again].standing.status == "retracted"
    assert flagged[gym].standing.by == world.ids["Strike what I said about the gym, I cancelled the membership."]
    sister = await world.recall("What does my sister teach?", include_retracted=True)
    maya = next(m for m in sister if "Maya" in m.record.text)
    assert maya.standing.status == "deleted_by_user"
    before = await world.recall("Which gym do I go to?", valid_at=T0 + timedelta(days=15))
    assert texts(before)[0].startswith(("I go to the Ironworks", "Still training"))  # not yet taken back then


async def test_a_change_upstream_makes_a_chain_of_dependents_uncertain_and_brings_the_change(
    tmp_path: Path, embedder: Embedder
) -> None:
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "My flat is on Harbour Street."),
            (3, "I only go to the Ironworks gym because it's near my flat."),
            (6, "I keep a locker at Ironworks only since I train there."),
            (40, "I moved to a flat in Leeds last week."),
        ],
    )
    change = world.ids["I moved to a flat in Leeds last week."]
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    gym, locker = (
        world.ids["I only go to the Ironworks gym because it's near my flat."],
        world.ids["I keep a locker at Ironworks only since I train there."],
    )
    assert verdicts[gym].status == "uncertain" and verdicts[gym].evidence_id == change
    assert "depends on 'it's near my flat', which changed on 2026-04-10" in verdicts[gym].reason
    assert verdicts[locker].status == "uncertain" and verdicts[locker].evidence_id == change
    found = await world.recall("Do I still keep a locker at the gym?")
    ids = [m.record.memory_id for m in found]
    assert locker in ids and change in ids
    assert next(m for m in found if m.record.memory_id == locker).standing.status == "uncertain"
    earlier = await world.recall("Do I still keep a locker at the gym?", valid_at=T0 + timedelta(days=20))
    assert all(m.standing.status == "asserted" for m in earlier)


async def test_a_plan_becomes_current_when_its_condition_comes_true(tmp_path: Path, embedder: Embedder) -> None:
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "I drive to the office every day."),
            (4, "Should I change jobs, I'd take the train instead of driving."),
            (50, "I changed jobs last month, new office downtown."),
        ],
    )
    plan, trigger = (
        world.ids["Should I change jobs, I'd take the train instead of driving."],
        world.ids["I changed jobs last month, new office downtown."],
    )
    verdicts = await world.graph.verdicts(NS, [plan])
    assert verdicts[plan].status == "current" and verdicts[plan].evidence_id == trigger
    ids = [m.record.memory_id for m in await world.recall("How do I get to work now?")]
    assert plan in ids and trigger in ids


async def test_a_timeline_comes_in_the_order_it_happened(tmp_path: Path, embedder: Embedder) -> None:
    world = await remember(
        tmp_path,
        embedder,
        [(0, "I live in Porto."), (60, "We moved to Lisbon in spring."), (120, "Now I'm based in Berlin.")],
    )
    found = texts(await world.recall("Where have I lived, in order?", k=5, timeline=True))
    cities = [c for t in found for c in ("Porto", "Lisbon", "Berlin") if c in t]
    assert cities == ["Porto", "Lisbon", "Berlin"]


async def test_a_timeline_keeps_old_values_that_read_like_the_new_ones(tmp_path: Path, embedder: Embedder) -> None:
    # Values of one attribute read alike, and the old ones are old and replaced: none of that may push
    # them out of a timeline, whatever ranking does for a question about the present.
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "For context, I work at Acme."),
            (10, "Work has been busy lately, lots of meetings."),
            (60, "I started a new job at Globex last month."),
            (70, "My work laptop died again today."),
            (120, "I started a new job at Initech in the spring."),
            (130, "Lunch with the people from work was fun."),
            (180, "These days I work at Umbrella."),
            (190, "Work is fine, the commute is long."),
        ],
    )
    found = texts(await world.recall("Which companies have I worked for, in order?", k=5, timeline=True))
    companies = [c for t in found for c in ("Acme", "Globex", "Initech", "Umbrella") if c in t]
    assert companies == ["Acme", "Globex", "Initech", "Umbrella"], found
