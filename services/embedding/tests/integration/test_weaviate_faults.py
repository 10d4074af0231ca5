"""Weaviate stops in the middle of an ingest and comes back: the consumer backs off, retries, and in
the end every turn is indexed exactly once (real NATS, real Weaviate, real embedder)."""

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from somnia_backends import WeaviateServer
from somnia_bus.testing import publish_turns
from somnia_contracts import TurnCaptured
from somnia_embedding.main import EmbeddingApp
from somnia_embedding.service import memory_id
from somnia_embedding.settings import EmbeddingSettings
from somnia_memory_store.weaviate.store import WeaviateMemoryStore, object_id
from somnia_nats_server import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NS = "faults/agent/user"
TURNS = 2000


def turns() -> list[TurnCaptured]:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    return [
        TurnCaptured(
            namespace=NS,
            session_id=f"s{i // 100}",
            turn_id=f"t{i}",
            role="user",
            content=f"fault drill memory {i}: topic {i % 13}",
            occurred_at=now,
            captured_at=now,
        )
        for i in range(TURNS)
    ]


async def fetch_all(store: WeaviateMemoryStore, memory_ids: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(memory_ids), 500):
        found += [r.memory_id for r in await store.get(NS, memory_ids[start : start + 500])]
    return found


async def lookup_report(store: WeaviateMemoryStore, expected: list[str], found: list[str]) -> str:
    """Which ids the property index misses, and whether the object itself is stored (fetched by its
    object id, which reads the object bucket and no index)."""
    missing = [i for i in expected if i not in set(found)]
    tenant = store._tenant(NS)
    stored = [i for i in missing if await tenant.query.fetch_object_by_id(object_id(i)) is not None]
    where = sorted({expected.index(i) for i in missing})
    return (
        f"{len(missing)} ids not found by lookup (at positions {where[:5]}...{where[-3:]}), {len(stored)} of them "
        f"stored but unindexed; {len(found) - len(set(found))} duplicates"
    )


def store_for(server: WeaviateServer) -> WeaviateMemoryStore:
    return WeaviateMemoryStore(
        http_host=server.host,
        http_port=server.http_port,
        grpc_host=server.host,
        grpc_port=server.grpc_port,
        collection="FaultDrill",
        api_key=server.api_key,
    )


async def test_weaviate_outage_mid_ingest_loses_and_duplicates_nothing(
    nats_server: NatsServer,
    tmp_path: Path,
    embedder,
    weaviate_server,  # type: ignore[no-untyped-def]
) -> None:
    weaviate = WeaviateServer(tmp_path / "weaviate").start()  # its own server: this test kills it
    probe = store_for(weaviate)
    app = EmbeddingApp(
        EmbeddingSettings(nats_url=nats_server.url, health_port=0, max_backoff_s=2.0), embedder, store_for(weaviate)
    )
    await app.start()
    events = turns()
    try:
        await publish_turns(nats_server.url, events)
        while await probe.count(NS) < TURNS // 4:
            await asyncio.sleep(0.2)
        weaviate.kill()  # no goodbye, mid-batch
        outage_started = time.monotonic()
        await asyncio.sleep(3)
        weaviate.start()
        outage_s = time.monotonic() - outage_started
        deadline = time.monotonic() + 180
        while await probe.count(NS) < TURNS and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # anything redelivered late would land now
        assert await probe.count(NS) == TURNS, f"after a {outage_s:.0f}s outage"
        expected = [memory_id(e, 0) for e in events]
        # Lookups go through Weaviate's property index. The batch in flight at the kill can leave
        # objects stored but unindexed; only the retry's rewrite (delete, then insert) indexes them,
        # as Weaviate skips re-indexing an object written again unchanged.
        found = await fetch_all(probe, expected)
        lookup_deadline = time.monotonic() + 60
        while found != expected and time.monotonic() < lookup_deadline:
            await asyncio.sleep(1)
            found = await fetch_all(probe, expected)
        assert found == expected, await lookup_report(probe, expected, found)  # every id exactly once
    finally:
        await app.stop()
        await probe.aclose()
        weaviate.stop()
