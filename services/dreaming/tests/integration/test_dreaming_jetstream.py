"""dreaming on a real nats-server: a `dream.requested` event runs the jobs, the run's checkpoint is kept
in NATS KV, what it found is published on SOMNIA_DREAM, and a repeated request changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import DREAM_STREAM, DreamRequested, MsgIds, Subjects
from somnia_dreaming import synthetic
from somnia_dreaming.checkpoints import KvCheckpoints
from somnia_dreaming.main import DreamingApp
from somnia_dreaming.settings import DreamingSettings, DreamSettings
from somnia_dreaming.summarize import ExtractiveSummarizer
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_stores import Stores

pytestmark = pytest.mark.integration
NS = "acme/ops-bot/team"


async def request(url: str, run_id: str, msg_id: str) -> None:
    broker = create_broker(url, name="test")
    await broker.connect()
    await ensure_streams(broker, DREAM_STREAM)
    now = datetime.now(UTC)
    event = DreamRequested(
        namespace=NS, run_id=run_id, since=now - timedelta(days=7), until=now + timedelta(days=1), requested_at=now
    )
    await JetStreamPublisher(broker).publish(
        event, subject=Subjects.dream_requested(NS, run_id), msg_id=msg_id, stream=DREAM_STREAM.name
    )
    await close_broker(broker)


async def test_a_requested_dream_runs_checkpoints_and_publishes_once(
    nats_server: NatsServer, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    sessions = list(synthetic.generate(120, start=datetime.now(UTC) - timedelta(days=2)))
    await synthetic.write(NS, sessions, graph, store, synthetic.TopicVectors(), embedder=embedder.name)
    settings = DreamingSettings(nats_url=nats_server.url, health_port=0, runs_bucket="test_runs")
    app = DreamingApp(DreamSettings.from_env(settings), Stores(embedder, store, graph), ExtractiveSummarizer())
    await app.start()
    client = await nats.connect(nats_server.url)
    try:
        await request(nats_server.url, "nightly-1", MsgIds.dream_requested(NS, "nightly-1"))
        for _ in range(600):
            if app.runs.finished:
                break
            await asyncio.sleep(0.1)
        assert app.runs.finished == 1, "the run did not finish"
        checkpoints = KvCheckpoints(client.jetstream(), bucket="test_runs")
        await checkpoints.open()
        state = await checkpoints.get(NS, "nightly-1")
        assert state is not None and state.status == "finished"
        insights = len(state.done["consolidate"].insights)
        assert insights > 0

        async def published() -> Counter[str]:
            sub = await client.jetstream().subscribe(
                Subjects.DREAM_ALL, stream=DREAM_STREAM.name, ordered_consumer=True
            )
            kinds: Counter[str] = Counter()
            while True:
                try:
                    msg = await sub.next_msg(timeout=1)
                except nats.errors.TimeoutError:
                    break
                kinds[msg.subject.split(".")[3]] += 1
            await sub.unsubscribe()
            return kinds

        first = await published()
        assert first["requested"] == 1 and first["insight"] == insights
        assert first["pattern"] == len(state.done["success"].patterns)
        assert first["community"] == len(state.done["communities"].communities) + len(
            state.done["clusters"].communities
        )
        count = await store.count(NS)
        await request(nats_server.url, "nightly-1", "a-second-request-for-the-same-run")
        for _ in range(100):
            if app.runs.finished == 2:
                break
            await asyncio.sleep(0.1)
        assert app.runs.finished == 2
        again = await published()
        assert again == first + Counter(requested=1)  # a finished run publishes nothing new
        assert await store.count(NS) == count
    finally:
        await client.close()
        await app.stop()
