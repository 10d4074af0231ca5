"""forgetting on a real nats-server: reports and failed tool results become negative memories once
each (redelivery included), a closed session marks its namespace due, and sweeping it archives what
faded and publishes `memory.archived`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import (
    MEMORY_STREAM,
    SESSION_STREAM,
    MemoryArchived,
    MemoryFeedback,
    MemoryWithdrawn,
    MsgIds,
    SessionClosed,
    Subjects,
    ToolCallPayload,
    TurnCaptured,
    archive_namespace,
    memory_id_for,
)
from somnia_forgetting.main import ForgettingApp
from somnia_forgetting.settings import ForgettingSettings
from somnia_graph_store import MemoryNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_model import StrengthSettings
from somnia_memory_store import MemoryRecord, SearchFilter
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_stores import Stores

pytestmark = pytest.mark.integration
NS = "acme/ops-bot/team"


async def test_reports_become_negative_memories_and_closed_sessions_are_swept(
    nats_server: NatsServer, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    now = datetime.now(UTC)
    old = now - timedelta(days=500)
    texts = ["The old VPN gateway was vpn1.example.net.", "We rotated its certificate in spring."]
    vectors = await embedder.embed(texts)
    records = [
        MemoryRecord(
            memory_id=memory_id_for(NS, "s-old", f"t{n}", 0),
            namespace=NS,
            text=text,
            session_id="s-old",
            turn_id=f"t{n}",
            role="user",
            occurred_at=old,
            recorded_at=old,
            embedder=embedder.name,
            vector=vectors[n],
        )
        for n, text in enumerate(texts)
    ]
    await store.upsert(records)
    await graph.upsert_memories(
        [MemoryNode(namespace=NS, session_id="s-old", turn_id=r.turn_id, memory_id=r.memory_id) for r in records]
    )
    settings = ForgettingSettings(nats_url=nats_server.url, health_port=0, sweep_interval_s=3600, bucket="test_due")
    app = ForgettingApp(settings, Stores(embedder, store, graph), StrengthSettings().law())
    await app.start()
    broker = create_broker(nats_server.url, name="test")
    await broker.connect()
    await ensure_streams(broker, SESSION_STREAM, MEMORY_STREAM)
    publisher = JetStreamPublisher(broker)
    client = await nats.connect(nats_server.url)
    try:
        failed = MemoryFeedback(
            namespace=NS,
            session_id="s-new",
            feedback_id="f-1",
            signal="failed",
            note="the deploy key had expired",
            reported_at=now,
        )
        tool = TurnCaptured(
            namespace=NS,
            session_id="s-new",
            turn_id="t-tool",
            role="tool",
            content="",
            tool_call=ToolCallPayload(name="deploy", result="Error: permission denied (publickey)"),
            occurred_at=now,
            captured_at=now,
        )
        closed = SessionClosed(namespace=NS, session_id="s-new", outcome="failed", ended_at=now)
        for event, subject, msg_id, stream in (
            (failed, Subjects.memory_feedback(NS, "s-new"), MsgIds.feedback(NS, "f-1"), MEMORY_STREAM.name),
            # The same report again under another msg id: JetStream keeps both, the memory is one.
            (failed, Subjects.memory_feedback(NS, "s-new"), "retry-f-1", MEMORY_STREAM.name),
            (tool, Subjects.session_turn(NS, "s-new"), MsgIds.turn(NS, "s-new", "t-tool"), SESSION_STREAM.name),
            (closed, Subjects.session_closed(NS, "s-new"), MsgIds.session_closed(NS, "s-new"), SESSION_STREAM.name),
        ):
            await publisher.publish(event, subject=subject, msg_id=msg_id, stream=stream)
        assert app.due is not None
        negatives: list[MemoryRecord] = []
        for _ in range(300):
            negatives = await store.scan(NS, SearchFilter(kinds=("negative",)))
            if len(negatives) >= 2 and await app.due.due():
                break
            await asyncio.sleep(0.1)
        assert sorted(r.text.split(":")[0] for r in negatives) == [
            "Tried deploy on " + now.date().isoformat(),
            "Tried the task of session s-new on " + now.date().isoformat(),
        ]
        assert [ns for _, ns in await app.due.due()] == [NS]

        archived_sub = await client.jetstream().subscribe(Subjects.MEMORY_ARCHIVED_ALL, stream=MEMORY_STREAM.name)
        assert await app.sweep_due() == 1
        assert await app.due.due() == []
        event = MemoryArchived.model_validate_json((await archived_sub.next_msg(timeout=5)).data)
        assert event.session_id == "s-old" and sorted(event.memory_ids) == sorted(r.memory_id for r in records)
        assert await store.count(archive_namespace(NS)) == 2
        assert len(await store.scan(NS, SearchFilter(kinds=("negative",)))) == 2  # negative memories stay hot
    finally:
        await client.close()
        await close_broker(broker)
        await app.stop()


async def test_withdrawn_and_superseded_memories_make_their_adapters_stale(
    nats_server: NatsServer, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    """A memory withdrawn in conversation makes the adapter holding it stale at once; a sweep finds the
    adapter holding a memory superseded since; an adapter whose memories all still hold stays live."""
    from somnia_graph_store import Supersession
    from somnia_parametric import AdapterRecord, AdapterRegistry

    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    now = datetime.now(UTC)
    texts = {"a": "I go to the gym on Elm Street.", "b": "My team is payments.", "c": "My team is search now."}
    vectors = await embedder.embed(list(texts.values()))
    ids = {key: memory_id_for(NS, "s-1", f"t-{key}", 0) for key in texts}
    await store.upsert(
        [
            MemoryRecord(
                memory_id=ids[key],
                namespace=NS,
                text=text,
                session_id="s-1",
                turn_id=f"t-{key}",
                role="user",
                occurred_at=now,
                recorded_at=now,
                embedder=embedder.name,
                vector=vectors[n],
            )
            for n, (key, text) in enumerate(texts.items())
        ]
    )
    await graph.upsert_supersessions(
        [Supersession(namespace=NS, newer_id=ids["c"], older_id=ids["b"], reason="team changed", recorded_at=now)]
    )
    settings = ForgettingSettings(nats_url=nats_server.url, health_port=0, sweep_interval_s=3600, bucket="test_due")
    app = ForgettingApp(settings, Stores(embedder, store, graph), StrengthSettings().law())
    await app.start()
    broker = create_broker(nats_server.url, name="test")
    await broker.connect()
    await ensure_streams(broker, SESSION_STREAM, MEMORY_STREAM)
    try:
        registry = AdapterRegistry(broker.connection.jetstream())
        await registry.open()
        for n, key in enumerate(texts, start=1):
            await registry.put(
                AdapterRecord(
                    namespace=NS,
                    adapter_id=f"v{n}-{key * 8}",
                    version=n,
                    base_model="tiny-random",
                    dataset_version=key * 16,
                    memory_ids=(ids[key],),
                    status="live",
                    created_at=now,
                    updated_at=now,
                )
            )
        withdrawn = MemoryWithdrawn(
            namespace=NS,
            session_id="s-1",
            memory_ids=(ids["a"],),
            status="retracted",
            by_memory_id="m-strike-that",
            withdrawn_at=now,
        )
        publisher = JetStreamPublisher(broker)
        await publisher.publish_event(withdrawn)
        for _ in range(100):
            first = await registry.get(NS, "v1-aaaaaaaa")
            if first is not None and first.status == "stale":
                break
            await asyncio.sleep(0.05)
        assert first is not None and first.status == "stale"
        assert first.stale_reason == "retracted in conversation (memory m-strike-that)"
        closed = SessionClosed(namespace=NS, session_id="s-1", ended_at=now)
        await publisher.publish_event(closed)
        assert app.due is not None
        for _ in range(100):
            if await app.due.due():
                break
            await asyncio.sleep(0.05)
        assert await app.sweep_due() == 1
        statuses = {r.adapter_id: (r.status, r.stale_reason) for r in await registry.adapters(NS)}
        assert statuses["v2-bbbbbbbb"] == ("stale", f"superseded by memory {ids['c']}")
        assert statuses["v3-cccccccc"] == ("live", "")
        assert app.negative.adapters_stale == 1
    finally:
        await close_broker(broker)
        await app.stop()
