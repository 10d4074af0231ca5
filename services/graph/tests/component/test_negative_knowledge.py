"""Negative knowledge said in conversation: a retraction takes a fact out of default recall and answers
in its place; a change to what a fact depends on makes it uncertain down a chain, with the change
brought along; a conditional plan becomes current when its condition comes true; `valid_at` tells what
held at a time of the conversation, and a timeline comes in order. Real embedder, embedded stores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from somnia_contracts import MemoryIndexed, memory_id_for
from somnia_embedder import Embedder
from somnia_graph.cues import Retraction, condition_of, retraction_of
from somnia_graph.dependencies import DependencyTracker, rests_on
from somnia_graph.retraction import RetractionDetector
from somnia_graph.service import GraphLinker
from somnia_graph.speech_acts import SpeechActReader, shipped_models
from somnia_graph.supersession import SupersessionDetector
from somnia_graph_store import Dependency, MemoryNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_model import content_keys
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_retrieval import RankedMemory, RankingSettings, Retriever

from .conftest import FILLER

NS = "acme/helper/dana"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class World:
    store: EmbeddedMemoryStore
    graph: EmbeddedGraphStore
    retriever: Retriever
    ids: dict[str, str]

    async def recall(self, query: str, k: int = 5, **options: object) -> list[RankedMemory]:
        answer = await self.retriever.answer(NS, query, k=k, now=NOW, **options)  # type: ignore[arg-type]
        return answer.memories


async def remember(
    tmp_path: Path, embedder: Embedder, said: list[tuple[int, str]], *, embed_topics: bool = True, standout: bool = True
) -> World:
    """Each (day, text) is a user turn of the session of that day, linked one by one as they arrive (said by
    Dana, unless the text opens with another speaker's "Name: "); a retraction's topic is embedded (as the
    service does) unless `embed_topics` is off."""
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    linker = GraphLinker(
        graph,
        supersession=SupersessionDetector(store),
        memory_store=store,
        retraction=RetractionDetector(
            store,
            speech_acts=SpeechActReader(shipped_models()),
            topics=embedder if embed_topics else None,
            standout_gap=0.05 if standout else 1.0,
        ),
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
            text=text if SPEAKER.match(text) else f"Dana: {text}",
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


SPEAKER = re.compile(r"^[A-Z][a-z]+: ")


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


@pytest.mark.parametrize(
    ("said", "topic", "ended"),
    [
        ("I dropped out of the evening course.", "the evening course", True),
        ("We pulled the plug on the mobile beta.", "the mobile beta", True),
        ("The Kafka migration got shelved.", "the kafka migration", True),
        ("The morning swims didn't last.", "the morning swims", True),
        ("Karate isn't a thing for me now.", "karate", True),
        ("Lose the bit about the wedding.", "the wedding", False),
        ("The info on the release train is bogus.", "the release train", False),
        ("I got the thing about my landlord wrong.", "my landlord", False),
        ("On second thought, scrap that.", "", False),
    ],
)
def test_retractions_in_more_wordings_are_read_with_their_topic(said: str, topic: str, ended: bool) -> None:
    found = retraction_of(f"Dana: {said}")
    assert found is not None and (found.topic, found.ended) == (topic, ended)


@pytest.mark.parametrize(
    ("said", "condition", "then"),
    [
        # "provided" and "assuming" state what a habit rests on; with a modal they are still plans
        ("Provided I'm on the night team, I keep the late shift.", "i'm on the night team", "i keep the late shift"),
        ("Assuming the ferry still runs, I take it to work.", "the ferry still runs", "i take it to work"),
        # a purpose the habit serves alone
        ("We pay for Sentry only to watch the old billing app.", "watch the old billing app", "we pay for sentry"),
        ("I buy the veg box each week; that's down to the farm delivering here.", "the farm delivering here",
         "i buy the veg box each week"),
        ("Our team owns the alerts, which follows from us owning the queue.", "us owning the queue",
         "our team owns the alerts"),
        # "since" across a modal is a reason, not a time
        ("I pay Ines to walk the dog since Biscuit can't be left alone all day.", "biscuit can't be left alone all day",
         "i pay ines to walk the dog"),
        # "need" ends in "ed" but is no past tense; "otherwise there'd be no point" guards against nothing
        ("We pin lxml to an old release since newer releases need a newer Python; otherwise there'd be no point.",
         "newer releases need a newer python", "we pin lxml to an old release"),
        # what joins a plan to its reason is not part of it; a "then" that points back is the clause before
        ("We pin lxml to an old release, and that only holds while we're on Python 3.8.", "we're on python 3.8",
         "we pin lxml to an old release"),
        ("I cycle to work; it only makes sense because the office is close.", "the office is close", "i cycle to work"),
    ],
)  # fmt: skip
def test_dependencies_are_read_with_what_rests_on_them(said: str, condition: str, then: str) -> None:
    found = condition_of(f"Dana: {said}")
    assert found is not None and (found.kind, found.condition, found.then) == ("depends_on", condition, then)


def test_a_plan_with_assuming_is_still_a_plan() -> None:
    found = condition_of("Dana: Assuming I move, I'd sell the car.")
    assert found is not None and found.kind == "replaces_if"


@pytest.mark.parametrize(
    "said",
    [
        "I've lived here since 2019.",
        "I've been vegan since we moved.",
        "Is it only because of the flat?",
        "I go to the gym.",
    ],
)
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


async def test_wording_the_cues_do_not_know_still_takes_a_fact_back_through_the_speech_act_reader(
    tmp_path: Path, embedder: Embedder
) -> None:
    """No cue reads either retraction (cues.py); the reader does, from the memories' own vectors."""
    contract = "We signed a two-year support contract with Halvorsen Systems."
    choir = "I sing at the Thursday choir rehearsals in the town hall."
    taken_back = "My take on the Halvorsen support contract was off the mark, don't lean on it."
    ended = "The Thursday choir rehearsals are no more."
    assert retraction_of(f"Dana: {taken_back}") is None and retraction_of(f"Dana: {ended}") is None
    world = await remember(tmp_path, embedder, [(0, contract), (2, choir), (30, taken_back), (31, ended)])
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    assert verdicts[world.ids[contract]].status == "retracted"
    assert verdicts[world.ids[contract]].evidence_id == world.ids[taken_back]
    assert verdicts[world.ids[choir]].evidence_id == world.ids[ended]
    assert set(verdicts) == {world.ids[contract], world.ids[choir]}  # the fillers keep their standing
    found = await world.recall("Who is our support contract with?")
    assert contract not in texts(found)


async def test_a_topic_cut_at_the_wrong_word_falls_back_to_the_statements_own_words(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The cue reads "what I said on Monday" as being about Monday, which nobody said anything about; the
    statement's own words, without those about saying, name the pottery class."""
    pottery = "I do pottery at Clayworks on Thursday evenings."
    taken_back = "Never mind what I said on Monday, pottery at Clayworks is off."
    assert retraction_of(f"Dana: {taken_back}") == Retraction("retracted", "monday")
    world = await remember(tmp_path, embedder, [(0, pottery), (30, taken_back)])
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    taken = {memory_id for memory_id, verdict in verdicts.items() if verdict.evidence_id == world.ids[taken_back]}
    assert taken == {world.ids[pottery]}


@pytest.mark.parametrize("standout", [True, False])
async def test_the_nearest_statement_is_taken_below_the_floor_when_it_stands_out(
    tmp_path: Path, embedder: Embedder, standout: bool
) -> None:
    """ "The school run" is nearer the kid's school (cosine 0.28) than anything else said (0.22), though not
    as near as the floor asks (0.35)."""
    school = "Our kid goes to Saint Anne primary on Hill Road."
    choir = "I sing tenor in the Thursday choir at St Mark."
    taken_back = "Scratch what I told you about the school run."
    world = await remember(tmp_path, embedder, [(0, school), (1, choir), (20, taken_back)], standout=standout)
    verdicts = await world.graph.verdicts(NS, [world.ids[school], world.ids[choir]])
    assert set(verdicts) == ({world.ids[school]} if standout else set())
    assert all(v.evidence_id == world.ids[taken_back] for v in verdicts.values())


@pytest.mark.parametrize("embed_topics", [True, False])
async def test_a_topic_no_statement_words_is_found_by_its_own_meaning_not_the_turns(
    tmp_path: Path, embedder: Embedder, embed_topics: bool
) -> None:
    """ "My fitness club" shares no word with the gym, and the whole turn ("scratch what I told you about")
    is no nearer the gym than to other things the user said; the topic alone is."""
    gym = "I train at Bluewater Athletic over on Fennel Grove a few times a week."
    offer = "I told you what I thought about the new job offer, it does not sound right to me."
    taken_back = "Scratch what I told you about my fitness club, it does not apply any more."
    world = await remember(tmp_path, embedder, [(0, gym), (3, offer), (30, taken_back)], embed_topics=embed_topics)
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    taken = {memory_id for memory_id, verdict in verdicts.items() if verdict.evidence_id == world.ids[taken_back]}
    assert taken == ({world.ids[gym]} if embed_topics else set())


@pytest.mark.parametrize("embed_topics", [True, False])
async def test_a_topic_in_a_short_form_finds_the_statement_of_the_long_one_by_meaning(
    tmp_path: Path, embedder: Embedder, embed_topics: bool
) -> None:
    """ "the exam" shares no word with "my examination" (a keyword search cannot find it), but "exam"
    starts "examination": found by meaning, it matches by its words."""
    exam = "My driving examination at the Cowley test centre is booked for the 14th."
    revision = "I revised for my history test all weekend, flashcards and past papers."
    taken_back = "Scratch what I told you about the exam, it no longer holds."
    world = await remember(tmp_path, embedder, [(0, exam), (2, revision), (20, taken_back)], embed_topics=embed_topics)
    verdicts = await world.graph.verdicts(NS, [world.ids[exam], world.ids[revision]])
    assert verdicts[world.ids[exam]].evidence_id == world.ids[taken_back]
    assert world.ids[revision] not in verdicts  # nearer "the exam" in meaning, but not about it


async def test_leaving_a_team_takes_back_being_on_it_and_nothing_that_shares_only_a_time_word(
    tmp_path: Path, embedder: Embedder
) -> None:
    """ "The month" is as generic as "the day": the team lunch at the end of it is not what ended."""
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "I'm on the data team."),
            (5, "We're doing a team lunch at the end of the month."),
            (40, "I left the data team at the start of the month."),
        ],
    )
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    assert verdicts[world.ids["I'm on the data team."]].status == "retracted"
    assert world.ids["We're doing a team lunch at the end of the month."] not in verdicts


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


async def test_one_word_in_common_changes_a_condition_only_with_a_change_of_state_close_in_meaning(
    tmp_path: Path, embedder: Embedder
) -> None:
    """ "I moved to a flat in Turin" shares one word with "it's a five-minute walk from my flat" and is about it;
    "I spent the morning tidying" shares one with "whoever starts first handles the morning pages" and is not."""
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "I go to the Kinetic gym because it's a five-minute walk from my flat."),
            (1, "I carry the ops phone on Mondays because whoever starts first handles the morning pages."),
            (30, "I spent the morning tidying up old tickets."),
            (40, "I moved to a flat in Turin at the start of the month."),
        ],
    )
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    gym = world.ids["I go to the Kinetic gym because it's a five-minute walk from my flat."]
    phone = world.ids["I carry the ops phone on Mondays because whoever starts first handles the morning pages."]
    assert verdicts[gym].status == "uncertain"
    assert verdicts[gym].evidence_id == world.ids["I moved to a flat in Turin at the start of the month."]
    assert phone not in verdicts


async def test_moving_home_changes_what_rested_on_where_one_lives_though_no_word_is_shared(
    tmp_path: Path, embedder: Embedder
) -> None:
    """ "I moved to Leeds" names neither Elm Terrace nor living; moving a meeting is no move at all."""
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "I live on Elm Terrace."),
            (2, "I go to the Harbour Lift gym, but only while I'm living on Elm Terrace."),
            (3, "I book sessions with a trainer called Rohan because they come free with my gym membership."),
            (20, "I moved the team meeting to Friday."),
            (40, "I moved to Leeds a few days ago."),
        ],
    )
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    gym = world.ids["I go to the Harbour Lift gym, but only while I'm living on Elm Terrace."]
    trainer = world.ids["I book sessions with a trainer called Rohan because they come free with my gym membership."]
    assert verdicts[gym].status == "uncertain"
    assert verdicts[gym].evidence_id == world.ids["I moved to Leeds a few days ago."]
    assert verdicts[trainer].status == "uncertain"
    assert verdicts[trainer].evidence_id == world.ids["I moved to Leeds a few days ago."]


@pytest.mark.parametrize("same_sitting", [True, False])
async def test_a_chain_said_in_one_sitting_is_linked_though_its_links_share_no_word(
    tmp_path: Path, embedder: Embedder, same_sitting: bool
) -> None:
    """Keeping the early shift and "whoever starts first" share no word; said one after the other, the second
    rests on the first, so leaving the team reaches the phone. Said weeks apart, nothing links them."""
    shift = "As long as I'm on the data team, I keep the early shift."
    phone = "The only reason I carry the ops phone on Monday mornings is that whoever starts first handles the pages."
    world = await remember(
        tmp_path,
        embedder,
        [(0, "I'm on the data team."), (1, shift), (1 if same_sitting else 20, phone), (40, "I left the data team.")],
    )
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    assert verdicts[world.ids[shift]].status == "uncertain"
    if same_sitting:
        assert verdicts[world.ids[phone]].status == "uncertain"
        assert verdicts[world.ids[phone]].evidence_id == world.ids["I left the data team."]
    else:
        assert world.ids[phone] not in verdicts


async def test_a_link_whose_condition_names_nothing_still_passes_a_change_down_its_chain(
    tmp_path: Path, embedder: Embedder
) -> None:
    """ "only while I'm the first one in" has no word a change could name; said in the sitting of the shift it
    rests on, it is still a link, and leaving the team reaches the vault."""
    shift = "As long as I'm on the search team, I keep the early shift."
    pager = "I carry the red pager on Monday mornings, but only while I'm the first one in."
    vault = "I have access to the emergency-access vault for as long as I'm carrying the red pager."
    world = await remember(tmp_path, embedder, [(0, shift), (0, pager), (0, vault), (40, "I left the search team.")])
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    assert {verdicts[world.ids[said]].status for said in (shift, pager, vault) if world.ids[said] in verdicts} == {
        "uncertain"
    }
    assert world.ids[pager] in verdicts and world.ids[vault] in verdicts


async def test_what_a_habit_rests_on_is_the_speakers_own_statement_not_anothers(
    tmp_path: Path, embedder: Embedder
) -> None:
    """Two people in one conversation both speak as users: Jon's habit does not rest on Gina's words, however
    many it shares, so Gina's later news changes nothing of Jon's."""
    gina = "Gina: I stay motivated by tracking my progress in a paper planner."
    jon = "Jon: I color-code my achievements only because it keeps me motivated to track my progress."
    world = await remember(
        tmp_path, embedder, [(0, gina), (2, jon), (30, "Gina: I stopped tracking my progress in the planner.")]
    )
    (dependency,) = [d for d in await world.graph.dependencies(NS) if d.memory_id == world.ids[jon]]
    assert dependency.upstream_id != world.ids[gina]
    assert world.ids[jon] not in await world.graph.verdicts(NS, list(world.ids.values()))


async def test_a_cascade_follows_a_dependent_that_shares_two_words_with_what_it_rests_on(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The slot's condition ("the reviewer needs protected time") shares one word with "Omar reviews every docs
    change"; the slot as a whole shares two (docs, review), so it is reached."""
    world = await remember(
        tmp_path,
        embedder,
        [
            (0, "Omar reviews every docs change only because we publish the docs to customers."),
            (2, "We keep a Friday slot for docs reviews since the reviewer needs protected time."),
            (40, "We stopped publishing the docs to customers last month."),
        ],
    )
    verdicts = await world.graph.verdicts(NS, list(world.ids.values()))
    change = world.ids["We stopped publishing the docs to customers last month."]
    slot = world.ids["We keep a Friday slot for docs reviews since the reviewer needs protected time."]
    assert verdicts[
        world.ids["Omar reviews every docs change only because we publish the docs to customers."]
    ].status == ("uncertain")
    assert verdicts[slot].status == "uncertain" and verdicts[slot].evidence_id == change


def test_a_dependent_rests_on_a_statement_its_condition_or_its_whole_shares_enough_with() -> None:
    def dependency(condition: str, then: str) -> Dependency:
        return Dependency(
            namespace=NS,
            memory_id="m",
            kind="depends_on",
            condition=condition,
            keys=tuple(content_keys(condition)),
            then_keys=tuple(content_keys(then)),
            occurred_at=T0,
            recorded_at=T0,
        )

    reviews = content_keys("Omar reviews every docs change")
    slot = dependency("the reviewer needs protected time", "we keep a Friday slot for docs reviews")
    assert rests_on(slot, reviews, 0.5)  # the whole: docs, review
    assert rests_on(dependency("Omar's reviews of the docs", "I read them on Fridays"), reviews, 0.5)
    assert not rests_on(dependency("the reviewer needs protected time", "I keep Fridays free"), reviews, 0.5)


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


async def test_news_that_made_a_plan_current_brings_the_plan_to_a_question_only_it_answers(
    tmp_path: Path, embedder: Embedder
) -> None:
    """ "Where's my new office?" reaches the news, not the plan: the plan comes with it (recall reads the
    MADE_CURRENT edge back from the news), right after it even at k = 1 and 2."""
    plan = "Should I change jobs, I'd take the train instead of driving."
    trigger = "I changed jobs last month, new office downtown."
    world = await remember(
        tmp_path,
        embedder,
        [(0, "I drive to the office every day."), (4, plan), (50, trigger), (52, "The canteen at work is decent.")],
    )
    assert await world.graph.made_current(NS, [world.ids[trigger]]) == {world.ids[trigger]: [world.ids[plan]]}
    for k in (2, 5):
        found = texts(await world.recall("Where's my new office downtown?", k=k))
        assert found.index(trigger) + 1 == found.index(plan)
        assert len(found) <= k


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
