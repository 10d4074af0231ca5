"""What makes the warm pack predict: salience, the namespace's profile, budgets that carry over, and an
L4 that keeps its prefix from one session to the next."""

from __future__ import annotations

import asyncio

import pytest
from somnia_contracts import memory_id_for
from somnia_retrieval import WarmPackBuilder, WarmRequest
from somnia_retrieval.profile import Profiles
from somnia_retrieval.salience import salience
from somnia_tokens import TokenizerSettings, create_token_counter

from .conftest import NS, World, turn_id

TOKENS = create_token_counter(TokenizerSettings())
# Budgets small enough that L4 holds a few memories and the rest spills into the other layers.
SMALL = {"L1": 1, "L2": 60, "L3": 60, "L4": 160}


@pytest.mark.parametrize(
    ("telling", "idle"),
    [
        ("I started volunteering at the animal shelter every Saturday morning.", "That's awesome, thanks!"),
        ("Alice: my sister Hannah is getting married in Porto next June.", "Alice: How are you?"),
        ("We moved the billing database to Postgres 16 last week.", "Hey! Long time no see!"),
        ("The staging deploy failed because the disk on build-07 was full.", "Okay, sounds good."),
    ],
)
def test_a_statement_that_tells_something_outscores_a_reaction(telling: str, idle: str) -> None:
    assert salience(telling) > salience(idle)
    assert 0.0 <= salience(idle) < salience(telling) <= 1.0


def test_a_speaker_label_is_not_content() -> None:
    assert salience("Bartholomew: ok") == salience("ok")


async def test_the_profile_is_the_most_salient_and_is_read_again_when_stale(world: World) -> None:
    profiles = Profiles(world.store, ttl_s=0.0, keep=3)
    first = await profiles.of(NS)
    assert len(first) == 3
    assert [salience(r.text) for r in first] == sorted((salience(r.text) for r in first), reverse=True)
    await world.store.delete(NS, [first[0].memory_id])
    stale = await profiles.of(NS)  # served as held while it is read again in the background
    assert stale == first
    for _ in range(100):  # the background read lands within a few milliseconds
        if first[0].memory_id not in {r.memory_id for r in await profiles.of(NS)}:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the profile was not read again")


async def test_a_forgotten_memory_never_comes_back_from_a_held_profile(world: World) -> None:
    builder = WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS, profiles=Profiles(world.store))
    request = WarmRequest(namespace=NS, session_id="s9", agent="helper", opening="the wedding toast")
    gone = memory_id_for(NS, "s1", turn_id("s1", 2), 0)  # Hannah's wedding, certainly in the profile
    assert gone in (await builder.build(request, now=world.now)).memory_ids
    await world.store.delete(NS, [gone])
    assert gone not in (await builder.build(request, now=world.now)).memory_ids


async def test_what_one_layer_leaves_unused_the_next_may_use(world: World) -> None:
    budgets = {"L1": 400, "L2": 30, "L3": 30, "L4": 30}
    pack = await WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS).build(
        WarmRequest(namespace=NS, session_id="s9", agent="helper", opening="the wedding", budgets=budgets),
        now=world.now,
    )
    l1 = next(layer for layer in pack.layers if layer.layer == "L1")
    l4 = next(layer for layer in pack.layers if layer.layer == "L4")
    assert l1.tokens < 400 and l4.carried == 400 - l1.tokens and l4.tokens > 30
    assert pack.tokens <= sum(budgets.values())
    for layer in pack.layers:
        assert layer.tokens <= layer.budget + layer.carried


async def test_l4_keeps_the_last_packs_order_so_the_prefix_stays_the_same(world: World) -> None:
    builder = WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS)
    first = await builder.build(
        WarmRequest(namespace=NS, session_id="s4", agent="helper", opening="deploys on build-07", budgets=SMALL),
        now=world.now,
    )
    l4 = first.layer_ids("L4")
    assert len(l4) >= 2
    second = await builder.build(
        WarmRequest(
            namespace=NS,
            session_id="s5",
            agent="helper",
            opening="Hannah's wedding toast",
            budgets=SMALL,
            previous=l4,
        ),
        now=world.now,
    )
    kept = second.layer_ids("L4")
    assert kept[0] == l4[0]
    first_line = first.rendered.splitlines()[:2]
    assert second.rendered.splitlines()[:2] == first_line  # the header and the first kept memory
    assert "kept from the agent's last pack" in second.layers[0].items[0].why


async def test_a_pack_holds_current_values_only(world: World) -> None:
    from somnia_graph_store import Supersession, Verdict

    wedding = memory_id_for(NS, "s1", turn_id("s1", 2), 0)
    toast = memory_id_for(NS, "s3", turn_id("s3", 0), 0)
    request = WarmRequest(namespace=NS, session_id="s9", agent="helper", opening="Hannah's wedding toast")
    builder = WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS)
    assert {wedding, toast} <= (await builder.build(request, now=world.now)).memory_ids
    await world.graph.upsert_supersessions(
        [Supersession(namespace=NS, newer_id=toast, older_id=wedding, reason="moved", recorded_at=world.now)]
    )
    await world.graph.upsert_verdicts(
        [Verdict(namespace=NS, memory_id=toast, verdict_id="v1", status="retracted", recorded_at=world.now)]
    )
    pack = await builder.build(request.model_copy(update={"session_id": "s10"}), now=world.now)
    assert wedding not in pack.memory_ids
    # The retracted toast turn is in the last conversation's tail (L1), which is what was said, as said;
    # no other layer offers it as knowledge.
    assert toast in pack.layer_ids("L1")
    assert all(toast not in pack.layer_ids(layer) for layer in ("L2", "L3", "L4"))


async def test_a_thing_said_again_after_the_first_was_closed_is_packed(world: World) -> None:
    from datetime import timedelta

    from somnia_graph_store import Supersession

    wedding = memory_id_for(NS, "s1", turn_id("s1", 2), 0)
    toast = memory_id_for(NS, "s3", turn_id("s3", 0), 0)
    (first,) = await world.store.get(NS, [wedding])
    again = first.model_copy(
        update={
            "memory_id": memory_id_for(NS, "s8", "again", 0),
            "session_id": "s8",
            "turn_id": "again",
            "occurred_at": world.now - timedelta(days=1),
        }
    )
    await world.store.upsert([again])
    # The first saying was closed (superseded); the same words said later are a new statement, and the
    # pack must not drop them as a repeat of the closed one.
    await world.graph.upsert_supersessions(
        [Supersession(namespace=NS, newer_id=toast, older_id=wedding, reason="closed", recorded_at=world.now)]
    )
    builder = WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS)
    request = WarmRequest(namespace=NS, session_id="s9", agent="helper", opening="Hannah's wedding toast")
    pack = await builder.build(request, now=world.now)
    assert wedding not in pack.memory_ids
    assert again.memory_id in pack.memory_ids


async def test_forgetting_in_a_namespace_drops_what_the_builder_holds_of_it(world: World) -> None:
    profiles = Profiles(world.store, ttl_s=3600.0)
    builder = WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS, profiles=profiles)
    await builder.build(WarmRequest(namespace=NS, session_id="s9", agent="helper", opening="x"), now=world.now)
    gone = (await profiles.of(NS))[0].memory_id
    await world.store.delete(NS, [gone])
    assert gone in {r.memory_id for r in await profiles.of(NS)}  # held for an hour...
    builder.forget_namespace(NS)
    assert gone not in {r.memory_id for r in await profiles.of(NS)}  # ...unless something was erased


async def test_l4_keeps_nothing_the_caller_excludes_or_that_was_taken_back(world: World) -> None:
    from somnia_graph_store import Verdict

    builder = WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS)
    first = await builder.build(
        WarmRequest(namespace=NS, session_id="s4", agent="helper", opening="deploys on build-07", budgets=SMALL),
        now=world.now,
    )
    before = first.layer_ids("L4")
    assert len(before) >= 2
    excluded, retracted = before[0], before[1]
    await world.graph.upsert_verdicts(
        [Verdict(namespace=NS, memory_id=retracted, verdict_id="v-l4", status="retracted", recorded_at=world.now)]
    )
    second = await builder.build(
        WarmRequest(
            namespace=NS,
            session_id="s5",
            agent="helper",
            opening="deploys on build-07",
            budgets=SMALL,
            previous=before,
            exclude=frozenset({excluded}),
        ),
        now=world.now,
    )
    assert excluded not in second.memory_ids and retracted not in second.layer_ids("L4")
    kept = [i.memory_id for i in second.layers[0].items if i.why.startswith("kept from")]
    assert kept == [m for m in before if m in kept]  # what is kept keeps its order
