"""Storage quotas across the real pipeline: capture refuses a namespace at its memory cap (the figure the
embedding service counted in the store), other namespaces go on, nothing accepted is lost, and a forget
frees the space at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import RETRY_AFTER_KEY, open_aio_channel
from somnia_auth.testing import admin_security
from somnia_bus import UsageBoard, close_broker, create_broker
from somnia_capture.main import CaptureApp
from somnia_capture.settings import CaptureSettings
from somnia_embedding.main import EmbeddingApp
from somnia_embedding.settings import EmbeddingSettings
from somnia_extraction import OfflineExtractor
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig

pytestmark = pytest.mark.integration
CAPPED, UNCAPPED = "acme/bot/alice", "big/bot/bob"


def turns(count: int, start: int = 0) -> list[capture_pb2.Turn]:
    return [
        capture_pb2.Turn(turn_id=f"t{i}", role=capture_pb2.ROLE_USER, content=f"note {i} about the garden")
        for i in range(start, start + count)
    ]


async def measured(board: UsageBoard, namespace: str, want: int, timeout_s: float = 30.0) -> int:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        usage = await board.read(namespace)
        if usage and usage.memories == want:
            return want
        await asyncio.sleep(0.1)
    usage = await board.read(namespace)
    return usage.memories if usage else -1


async def test_a_namespace_at_its_cap_is_refused_until_something_is_forgotten(
    tmp_path: Path, nats_server: NatsServer, embedder: Any
) -> None:
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    security, token = admin_security(tmp_path)
    capture = CaptureApp(
        CaptureSettings(port=0, nats_url=nats_server.url, max_memories_per_namespace=6, storage_quotas={"big/*": 0}),
        security,
    )
    embedding = EmbeddingApp(EmbeddingSettings(nats_url=nats_server.url, health_port=0), embedder, store)
    recall = RecallApp(
        RecallSettings(port=0, nats_url=nats_server.url),
        embedder,
        store,
        graph=graph,
        extractor=OfflineExtractor(),
        config=RetrievalConfig.from_env(),
        security=security,
    )
    capture_port, _, recall_port = await capture.start(), await embedding.start(), await recall.start()
    broker = create_broker(nats_server.url, name="quota-test")
    await broker.connect()
    board = UsageBoard(broker)
    try:
        async with (
            open_aio_channel(f"127.0.0.1:{capture_port}", token=token) as capture_channel,
            open_aio_channel(f"127.0.0.1:{recall_port}", token=token) as recall_channel,
        ):
            capturing = capture_pb2_grpc.CaptureServiceStub(capture_channel)
            recalling = recall_pb2_grpc.RecallServiceStub(recall_channel)
            await capturing.Capture(capture_pb2.CaptureRequest(namespace=CAPPED, session_id="s1", turns=turns(6)))
            assert await measured(board, CAPPED, 6) == 6
            await asyncio.sleep(1.1)  # past capture's refresh: it now reads the figure of 6

            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await capturing.Capture(
                    capture_pb2.CaptureRequest(namespace=CAPPED, session_id="s2", turns=turns(1, start=6))
                )
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "storage quota is 6" in (refused.value.details() or "")
            assert "somnia forget" in (refused.value.details() or "")
            trailers = dict(refused.value.trailing_metadata() or ())
            assert trailers[RETRY_AFTER_KEY] == "60000"

            # The cap is per namespace: a tenant whose pattern says 0 has none.
            await capturing.Capture(capture_pb2.CaptureRequest(namespace=UNCAPPED, session_id="s1", turns=turns(9)))
            assert await measured(board, UNCAPPED, 9) == 9
            await asyncio.sleep(0.5)
            assert await store.count(CAPPED) == 6  # what was accepted before the refusal is all there

            await recalling.Forget(recall_pb2.ForgetRequest(namespace=CAPPED, session_id="s1", reason="make room"))
            assert await measured(board, CAPPED, 0, timeout_s=5.0) == 0
            await asyncio.sleep(1.1)
            await capturing.Capture(
                capture_pb2.CaptureRequest(namespace=CAPPED, session_id="s3", turns=turns(2, start=10))
            )
            assert await measured(board, CAPPED, 2) == 2

            # Erasing the whole namespace drops its figure from the board (it names the namespace).
            await recalling.Forget(
                recall_pb2.ForgetRequest(namespace=CAPPED, entire_namespace=True, confirm_namespace=CAPPED)
            )
            assert await board.read(CAPPED) is None
    finally:
        await close_broker(broker)
        await recall.stop()
        await embedding.stop()
        await capture.stop()
