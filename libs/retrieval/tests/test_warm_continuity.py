"""Consecutive sessions of an agent, through get_or_build on a real NATS KV bucket: the next pack opens
with what the last one's L4 held, byte for byte, as far as it still holds."""

from __future__ import annotations

from datetime import timedelta

import nats
import pytest
from somnia_graph_store import SessionNode
from somnia_nats_server import NatsServer
from somnia_retrieval import WarmPackBuilder, WarmRequest, get_or_build
from somnia_retrieval.testing import T0
from somnia_tokens import TokenizerSettings, create_token_counter
from somnia_warm_packs import WarmPackStore

from .conftest import NS, World

pytestmark = pytest.mark.integration
BUDGETS = {"L1": 1, "L2": 60, "L3": 60, "L4": 160}


async def start(world: World, session_id: str, day: int) -> None:
    await world.graph.upsert_sessions(
        [SessionNode(namespace=NS, session_id=session_id, agent="helper", started_at=T0 + timedelta(days=day))]
    )


async def test_the_next_session_opens_with_the_last_packs_stable_layer(world: World, nats_server: NatsServer) -> None:
    client = await nats.connect(nats_server.url)
    try:
        packs = WarmPackStore(client.jetstream(), bucket="continuity", ttl_s=60)
        await packs.open()
        builder = WarmPackBuilder(world.retriever, world.store, world.graph, create_token_counter(TokenizerSettings()))
        await start(world, "s4", 5)
        first, _ = await get_or_build(
            builder,
            packs,
            WarmRequest(namespace=NS, session_id="s4", agent="helper", opening="deploys", budgets=BUDGETS),
        )
        await start(world, "s5", 6)
        second, stored = await get_or_build(
            builder,
            packs,
            WarmRequest(namespace=NS, session_id="s5", agent="helper", opening="Hannah's toast", budgets=BUDGETS),
        )
        before, after = first.layer_ids("L4"), second.layer_ids("L4")
        pairs = enumerate(zip(before, after, strict=False))
        kept = next((i for i, (a, b) in pairs if a != b), min(len(before), len(after)))
        assert not stored and kept >= 1
        # The header and every kept line are the same bytes, in the same place.
        assert second.rendered.splitlines()[: 1 + kept] == first.rendered.splitlines()[: 1 + kept]
        # What was forgotten since is not kept: the next pack chooses afresh.
        await world.store.delete(NS, [first.layer_ids("L4")[0]])
        await start(world, "s6", 7)
        third, _ = await get_or_build(
            builder, packs, WarmRequest(namespace=NS, session_id="s6", agent="helper", opening="x", budgets=BUDGETS)
        )
        assert first.layer_ids("L4")[0] not in third.memory_ids
    finally:
        await client.close()
