"""One captured turn is one trace: gRPC Capture → JetStream publish → embedding consume → embed, store,
memory.indexed publish → graph consume; and the turn's publish → graph consume. Real nats-server;
spans collected by an in-memory exporter."""

import asyncio
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import write_keys
from somnia_capture.main import create_app as create_capture
from somnia_capture.settings import CaptureSettings
from somnia_embedding.main import EmbeddingApp
from somnia_embedding.settings import EmbeddingSettings
from somnia_graph.main import GraphApp
from somnia_graph.settings import GraphServiceSettings
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer

pytestmark = pytest.mark.integration


def child_of(spans: list[ReadableSpan], parent: ReadableSpan, name_part: str) -> list[ReadableSpan]:
    return [
        s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id and name_part in s.name
    ]


async def test_a_captured_turn_is_one_trace_across_services(
    nats_server: NatsServer,
    tmp_path: Path,
    embedder,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOMNIA_AUTH_API_KEYS_FILE", str(tmp_path / "keys.json"))
    token = write_keys(tmp_path / "keys.json", {"tracer": (["a/*"], ["capture"])})["tracer"]
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    capture = create_capture(CaptureSettings(port=0, nats_url=nats_server.url), tracer_provider=provider)
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    embedding = EmbeddingApp(
        EmbeddingSettings(nats_url=nats_server.url, health_port=0), embedder, store, tracer_provider=provider
    )
    graph = GraphApp(
        GraphServiceSettings(nats_url=nats_server.url, health_port=0),
        EmbeddedGraphStore(tmp_path / "graph.sqlite3"),
        tracer_provider=provider,
    )
    port = await capture.start()
    await embedding.start()
    await graph.start()
    try:
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            await capture_pb2_grpc.CaptureServiceStub(channel).Capture(
                capture_pb2.CaptureRequest(
                    namespace="a/b/c",
                    session_id="s1",
                    turns=[capture_pb2.Turn(turn_id="t1", role=capture_pb2.ROLE_USER, content="trace me")],
                )
            )
        for _ in range(100):
            names = [s.name for s in exporter.get_finished_spans()]
            if "embedding.index_turn" in names and names.count("graph.link") >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
    finally:
        await graph.stop()
        await embedding.stop()
        await capture.stop()
    spans = list(exporter.get_finished_spans())
    # The same hops as metrics (what the dashboards plot).
    assert capture.metrics.registry.get_sample_value("somnia_turns_captured_total", {"result": "accepted"}) == 1
    assert embedding.metrics.registry.get_sample_value("somnia_turns_indexed_total") == 1
    assert embedding.metrics.registry.get_sample_value("somnia_capture_to_indexed_seconds_count") == 1
    assert graph.metrics.registry.get_sample_value("somnia_graph_events_linked_total") == 2

    (server,) = [s for s in spans if s.kind == SpanKind.SERVER and s.name.endswith("CaptureService/Capture")]
    (publish,) = [s for s in child_of(spans, server, "somnia.v1.session.turn") if s.kind == SpanKind.PRODUCER]
    (consume,) = [s for s in child_of(spans, publish, "embedding.index_turn") if s.kind == SpanKind.CONSUMER]
    assert consume.attributes is not None and consume.attributes["somnia.turn_id"] == "t1"
    assert len(child_of(spans, consume, "embedder.embed")) == 1
    assert len(child_of(spans, consume, "memory_store.upsert")) == 1
    (indexed,) = child_of(spans, consume, "somnia.v1.memory.indexed")
    assert indexed.kind == SpanKind.PRODUCER
    (linked_turn,) = child_of(spans, publish, "graph.link")  # the graph links the turn ...
    (linked_memory,) = child_of(spans, indexed, "graph.link")  # ... and its memory, in the same trace
    assert linked_turn.kind == linked_memory.kind == SpanKind.CONSUMER
    trace_ids = {s.context.trace_id for s in (server, publish, consume, indexed, linked_turn, linked_memory)}
    assert trace_ids == {server.context.trace_id}
