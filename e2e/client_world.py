"""A running Somnia for the client tests (SDK, MCP): capture, embedding and recall on a real nats-server
with API keys on, served from an event loop in a thread so synchronous clients can call it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from somnia_auth.testing import keyed_security, write_keys
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

from .test_hostile_input import LoopThread

NS = "acme/planner/alice"


@dataclass
class World:
    capture: str
    recall: str
    keys: dict[str, str]
    keys_file: Path
    nats_url: str
    loop: LoopThread


@pytest.fixture
def world(tmp_path: Path, nats_server: NatsServer, embedder: Any) -> Iterator[World]:
    keys_file = tmp_path / "keys.json"
    keys = write_keys(
        keys_file,
        {"alice-app": (["acme/*"], ["capture", "recall", "feedback", "forget"]), "admin": (["*"], ["admin"])},
    )
    loop = LoopThread()

    async def start() -> tuple[World, Any]:
        store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
        await graph.ensure_schema()
        capture = CaptureApp(CaptureSettings(port=0, nats_url=nats_server.url), keyed_security(keys_file))
        embedding = EmbeddingApp(EmbeddingSettings(nats_url=nats_server.url, health_port=0), embedder, store)
        recall = RecallApp(
            RecallSettings(port=0, nats_url=nats_server.url),
            embedder,
            store,
            graph=graph,
            extractor=OfflineExtractor(),
            config=RetrievalConfig.from_env(),
            security=keyed_security(keys_file),
        )
        capture_port, _, recall_port = await capture.start(), await embedding.start(), await recall.start()

        async def stop() -> None:
            await recall.stop()
            await embedding.stop()
            await capture.stop()

        found = World(f"127.0.0.1:{capture_port}", f"127.0.0.1:{recall_port}", keys, keys_file, nats_server.url, loop)
        return found, stop

    built, stop = loop.run(start())
    yield built
    loop.run(stop())
    loop.close()
