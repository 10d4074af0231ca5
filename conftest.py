"""Fixtures shared by every test suite: a real nats-server per test, and the real embedder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from somnia_nats_server import NatsServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A real nats-server with JetStream (fsync always) on a free loopback port."""
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 int8 on onnxruntime: the real default model, loaded once per run."""
    from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder

    return OnnxMiniLMEmbedder(threads=2)
