"""Live wake on real memories: what a new turn calls up, minus what the agent holds, within budget."""

from __future__ import annotations

import pytest
from somnia_contracts import memory_id_for
from somnia_graph_store import Supersession
from somnia_retrieval import LiveWaker, UnknownNamespace
from somnia_retrieval.live_wake import WAKE_HEADER
from somnia_tokens import TokenizerSettings, create_token_counter

from .conftest import NS, World, turn_id

TOKENS = create_token_counter(TokenizerSettings())


def waker(world: World) -> LiveWaker:
    return LiveWaker(world.retriever, TOKENS)


async def test_a_turn_calls_up_the_memory_it_is_about(world: World) -> None:
    delta = await waker(world).delta(NS, "s9", "I still need to write the toast for Hannah's wedding", set(), 200)
    turns = [i.turn_id for i in delta.items]
    assert turns and turns[0] in {turn_id("s3", 0), turn_id("s1", 2)}
    assert {turn_id("s3", 0), turn_id("s1", 2)} <= set(turns)
    assert delta.rendered.startswith(WAKE_HEADER)
    assert all(i.why.startswith("called up by the conversation") for i in delta.items)
    assert delta.tokens == TOKENS.count(delta.rendered) <= 200


async def test_what_the_agent_holds_and_the_sessions_own_turns_are_not_offered(world: World) -> None:
    first = await waker(world).delta(NS, "s9", "Hannah's wedding toast", set(), 200)
    held = {i.memory_id for i in first.items[:1]}
    again = await waker(world).delta(NS, "s9", "Hannah's wedding toast", held, 200)
    assert held.isdisjoint(i.memory_id for i in again.items)
    # Asked from inside session s3, its own turns are the conversation the agent already has.
    inside = await waker(world).delta(NS, "s3", "Hannah's wedding toast", set(), 200)
    assert all(i.session_id != "s3" for i in inside.items)


async def test_the_budget_holds_and_a_tiny_one_gives_an_empty_delta(world: World) -> None:
    for budget in (25, 40, 80):
        delta = await waker(world).delta(NS, "s9", "deploys, disks and the wedding", set(), budget)
        assert delta.tokens <= budget
    empty = await waker(world).delta(NS, "s9", "deploys, disks and the wedding", set(), 5)
    assert empty.items == () and empty.rendered == "" and empty.tokens == 0


async def test_an_unrelated_turn_calls_up_nothing_and_an_unknown_namespace_is_unknown(world: World) -> None:
    assert (await waker(world).delta(NS, "s9", "   ", set(), 200)).items == ()
    unrelated = await waker(world).delta(NS, "s9", "quantum chromodynamics of gluon plasma", set(), 200)
    assert len(unrelated.items) <= 2  # at most the weak tail of a tiny namespace, never the whole of it
    with pytest.raises(UnknownNamespace):
        await waker(world).delta("other/ns/x", "s1", "anything at all", set(), 200)


async def test_what_later_knowledge_replaced_or_took_back_is_not_offered(world: World) -> None:
    wedding = memory_id_for(NS, "s1", turn_id("s1", 2), 0)
    toast = memory_id_for(NS, "s3", turn_id("s3", 0), 0)
    assert wedding in {i.memory_id for i in (await waker(world).delta(NS, "s9", "Hannah's wedding", set(), 300)).items}
    await world.graph.upsert_supersessions(
        [Supersession(namespace=NS, newer_id=toast, older_id=wedding, reason="moved", recorded_at=world.now)]
    )
    offered = await waker(world).delta(NS, "s9", "Hannah's wedding", set(), 300)
    assert wedding not in {i.memory_id for i in offered.items}
    assert all(i.status in ("asserted", "current", "uncertain", "downgraded") for i in offered.items)
