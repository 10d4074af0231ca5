"""cache-warming on a real nats-server with the real embedder and embedded stores: a session start
becomes a pack in the KV bucket and a `cache.warmed` event; recall's WarmCache then serves it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import admin_security
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_cache_warming.main import CacheWarmingApp
from somnia_cache_warming.settings import CacheWarmingSettings
from somnia_contracts import CACHE_STREAM, SESSION_STREAM, CacheWarmed, MsgIds, SessionStarted, Subjects
from somnia_extraction import OfflineExtractor
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig, WarmPackSettings
from somnia_retrieval.testing import NS, seed_namespace
from somnia_warm_packs import WarmPackStore

pytestmark = pytest.mark.integration


async def start_session(url: str, namespace: str, session_id: str, opening: str) -> None:
    broker = create_broker(url, name="test")
    await broker.connect()
    await ensure_streams(broker, SESSION_STREAM)
    started = SessionStarted(
        namespace=namespace, session_id=session_id, agent="helper", opening=opening, started_at=datetime.now(UTC)
    )
    await JetStreamPublisher(broker).publish(
        started,
        subject=Subjects.session_started(namespace, session_id),
        msg_id=MsgIds.session_started(namespace, session_id),
        stream=SESSION_STREAM.name,
    )
    await close_broker(broker)


async def test_a_started_session_is_warmed_into_kv_and_served_by_recall(
    nats_server: NatsServer, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    await seed_namespace(store, graph, embedder)
    warm = WarmPackSettings(bucket="test_packs", ttl_s=60)
    app = CacheWarmingApp(
        CacheWarmingSettings(nats_url=nats_server.url, health_port=0),
        embedder,
        store,
        graph,
        OfflineExtractor(),
        config=RetrievalConfig.from_env(warm=warm),
    )
    await app.start()
    client = await nats.connect(nats_server.url)
    try:
        await start_session(nats_server.url, NS, "s4", "help me write the toast for Hannah's wedding")
        await start_session(nats_server.url, "empty/ns/here", "s1", "hello")  # nothing to warm: acked, no pack
        packs = WarmPackStore(client.jetstream(), bucket="test_packs", ttl_s=60)
        await packs.open()
        pack = None
        for _ in range(100):
            pack = await packs.get(NS, "s4")
            if pack is not None:
                break
            await asyncio.sleep(0.1)
        assert pack is not None, "no pack appeared in the KV bucket"
        assert [layer.layer for layer in pack.layers] == ["L4", "L3", "L2", "L1"]
        assert "Hannah" in pack.rendered
        info = await client.jetstream().stream_info(CACHE_STREAM.name)
        assert info.state.messages == 1
        sub = await client.jetstream().subscribe(Subjects.CACHE_ALL, stream=CACHE_STREAM.name)
        event = CacheWarmed.model_validate_json((await sub.next_msg(timeout=5)).data)
        assert event.session_id == "s4" and event.items == sum(len(layer.items) for layer in pack.layers)
        kv_info = await (await client.jetstream().key_value("test_packs")).status()
        assert kv_info.ttl == 60
    finally:
        await app.stop()

    security, token = admin_security(tmp_path)
    recall = RecallApp(
        RecallSettings(port=0, nats_url=nats_server.url),
        embedder,
        EmbeddedMemoryStore(tmp_path / "m.db"),
        graph=EmbeddedGraphStore(tmp_path / "g.db"),
        extractor=OfflineExtractor(),
        config=RetrievalConfig.from_env(warm=warm),
        security=security,
    )
    port = await recall.start()
    try:
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            stub = recall_pb2_grpc.RecallServiceStub(channel)
            cached = await stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id="s4"))
            assert cached.from_cache and cached.rendered == pack.rendered
            assert [layer.layer for layer in cached.layers] == [
                recall_pb2.LAYER_L4_STRATEGIC,
                recall_pb2.LAYER_L3_DOMAIN,
                recall_pb2.LAYER_L2_SESSION,
                recall_pb2.LAYER_L1_IMMEDIATE,
            ]
            small = await stub.WarmCache(
                recall_pb2.WarmCacheRequest(
                    namespace=NS,
                    session_id="s4",
                    opening="the wedding toast",
                    budgets=[recall_pb2.LayerBudget(layer=recall_pb2.LAYER_L2_SESSION, tokens=40)],
                )
            )
            assert not small.from_cache and small.layers[2].token_count <= 40
            # No agent or opening in the request: they come from the session's StartSession event.
            rebuilt = await stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id="s4", rebuild=True))
            explicit = await stub.WarmCache(
                recall_pb2.WarmCacheRequest(
                    namespace=NS,
                    session_id="s4",
                    agent="helper",
                    opening="help me write the toast for Hannah's wedding",
                    rebuild=True,
                )
            )
            assert rebuilt.rendered == explicit.rendered
            assert rebuilt.layers[3].items  # L1: the agent's last session, known only from the session start
    finally:
        await recall.stop()
    await client.close()
