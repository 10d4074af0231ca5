"""Neo4j stops in the middle of linking 2,000 turns and comes back: the graph consumer backs off,
retries, and in the end every turn is in the graph exactly once, chained in order (real NATS, real
Neo4j)."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from somnia_backends import Neo4jServer
from somnia_bus.testing import publish_turns
from somnia_contracts import TurnCaptured
from somnia_graph.main import GraphApp
from somnia_graph.settings import GraphServiceSettings
from somnia_graph_store.neo4j.store import Neo4jGraphStore
from somnia_nats_server import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NS = "faults/agent/user"
TURNS = 2000
T0 = datetime(2026, 11, 25, tzinfo=UTC)


def turns() -> list[TurnCaptured]:
    return [
        TurnCaptured(
            namespace=NS,
            session_id=f"s{i // 200}",
            turn_id=f"t{i:04d}",
            role="user",
            content=f"turn {i}",
            occurred_at=T0 + timedelta(seconds=i),
            captured_at=T0,
        )
        for i in range(TURNS)
    ]


async def count_turns(server: Neo4jServer) -> int:
    probe = Neo4jGraphStore(server.uri, user=server.user, password=server.password)
    try:
        return await probe.count(NS, "Turn")
    except Exception:
        return -1
    finally:
        await probe.aclose()


async def test_neo4j_outage_mid_ingest_loses_and_duplicates_nothing(
    nats_server: NatsServer,
    tmp_path: Path,
    neo4j_server,  # type: ignore[no-untyped-def]
) -> None:
    neo4j = Neo4jServer(tmp_path / "neo4j").start()  # its own server: this test kills it
    store = Neo4jGraphStore(neo4j.uri, user=neo4j.user, password=neo4j.password)
    app = GraphApp(
        GraphServiceSettings(nats_url=nats_server.url, health_port=0, batch_size=50, max_backoff_s=2.0), store
    )
    for _ in range(120):  # Bolt opens a little before the database serves
        try:
            await app.start()
            break
        except Exception:
            await asyncio.sleep(0.5)
    events = turns()
    try:
        await publish_turns(nats_server.url, events)
        while await count_turns(neo4j) < TURNS // 4:
            await asyncio.sleep(0.2)
        neo4j.kill()
        await asyncio.sleep(3)
        neo4j.start()
        deadline = time.monotonic() + 240
        while await count_turns(neo4j) < TURNS and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        assert await count_turns(neo4j) == TURNS
        for session in range(TURNS // 200):
            chain = await store.session_turns(NS, f"s{session}")
            assert chain == [f"t{i:04d}" for i in range(session * 200, session * 200 + 200)]
    finally:
        await app.stop()
        neo4j.stop()
