"""The warm pack on real memories: layers, order, budgets, one copy of each memory."""

from __future__ import annotations

import pytest
from somnia_embedder.onnx_minilm import MODEL_NAME
from somnia_memory_store import MemoryRecord
from somnia_retrieval import LAYER_ORDER, UnknownNamespace, WarmPackBuilder, WarmRequest
from somnia_tokens import TokenizerSettings, create_token_counter

from .conftest import NS, World, turn_id

TOKENS = create_token_counter(TokenizerSettings())


def builder(world: World) -> WarmPackBuilder:
    return WarmPackBuilder(world.retriever, world.store, world.graph, TOKENS)


async def test_layers_come_most_stable_first_and_hold_each_memory_once(world: World) -> None:
    pack = await builder(world).build(
        WarmRequest(
            namespace=NS, session_id="s3", agent="helper", opening="How should I write Hannah's wedding toast?"
        ),
        now=world.now,
    )
    assert [layer.layer for layer in pack.layers] == list(LAYER_ORDER) == ["L4", "L3", "L2", "L1"]
    ids = [item.memory_id for layer in pack.layers for item in layer.items]
    assert len(ids) == len(set(ids))
    # L1 is the resumed conversation, in order.
    assert [i.turn_id for i in pack.layers[3].items] == [turn_id("s3", 0), turn_id("s3", 1)]
    # The wedding in an earlier session is predicted from the opening.
    assert turn_id("s1", 2) in {i.turn_id for layer in pack.layers[:3] for i in layer.items}
    # The rendered block is the layers in the same order.
    positions = [pack.rendered.index(f"## {layer.layer}") for layer in pack.layers if layer.items]
    assert len(positions) >= 2 and positions == sorted(positions)
    assert pack.tokens == sum(layer.tokens for layer in pack.layers)


@pytest.mark.parametrize("budget", [20, 45, 90])
async def test_no_layer_ever_exceeds_its_budget(world: World, budget: int) -> None:
    pack = await builder(world).build(
        WarmRequest(
            namespace=NS,
            session_id="new",
            agent="helper",
            opening="deploy problems and the wedding",
            budgets={"L1": budget, "L2": budget, "L3": budget, "L4": budget},
        ),
        now=world.now,
    )
    assert pack.tokens <= 4 * budget
    for layer in pack.layers:
        assert layer.tokens <= budget + layer.carried
        if layer.items:
            assert TOKENS.count(layer.rendered) == layer.tokens
    if budget >= 45:
        assert any(layer.items for layer in pack.layers)


async def test_a_new_session_starts_from_the_agents_last_conversation(world: World) -> None:
    pack = await builder(world).build(WarmRequest(namespace=NS, session_id="s4", agent="helper"), now=world.now)
    assert [i.session_id for i in pack.layers[3].items] == ["s3", "s3"]
    strategic = {i.turn_id for i in pack.layers[0].items}
    assert turn_id("s1", 0) in strategic or turn_id("s2", 2) in strategic  # a preference or a decision


async def test_an_empty_namespace_is_unknown(world: World) -> None:
    with pytest.raises(UnknownNamespace):
        await builder(world).build(WarmRequest(namespace="other/ns/x", session_id="s1"), now=world.now)


async def test_a_failed_attempt_with_the_sessions_tool_is_an_l4_pitfall(world: World) -> None:
    text = "Tried kubectl_apply on 2026-01-20: failed because the admission webhook denied the request."
    vector = await world.retriever.embed_query(text)
    await world.store.upsert(
        [
            MemoryRecord(
                memory_id="n-pitfall",
                namespace=NS,
                kind="negative",
                text=text,
                session_id="s1",
                turn_id="n-pitfall",
                role="system",
                occurred_at=world.now,
                recorded_at=world.now,
                embedder=MODEL_NAME,
                vector=vector,
            )
        ]
    )
    pack = await builder(world).build(
        WarmRequest(namespace=NS, session_id="s9", agent="helper", opening="deploy the app", tools=("kubectl_apply",)),
        now=world.now,
    )
    l4 = pack.layers[0]
    assert "n-pitfall" in [i.memory_id for i in l4.items]
    assert l4.rendered.index("### Pitfalls: tried before, and failed") < l4.rendered.index("admission webhook")
