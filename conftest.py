"""Fixtures shared by every test suite: real servers (nats-server per test; Weaviate and Neo4j once per
run) and the real embedder."""

from __future__ import annotations

import os

# Tests start servers (nats-server, Weaviate, Neo4j) as child processes from a process that holds live
# gRPC channels; grpcio's fork handlers can then abort the child before it execs (grpc/grpc#43055).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from pathlib import Path

import pytest
from somnia_nats_server import NatsServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Recall's cross-encoder reads only while recall's threads get a core (cpu_wait.py); tests that assert
# an order would then pass or fail with whatever else the machine runs. Here it reads every answer, as
# on a quiet machine; the gate's own tests give it a fixed reading.
os.environ.setdefault("SOMNIA_RANKING_RERANK_MAX_CPU_WAIT", "1")
# `make test` sets this: there, a backend that cannot start is a failure, never a skip.
REQUIRE_BACKENDS = os.environ.get("SOMNIA_REQUIRE_BACKENDS") == "1"
# `native` (default): servers built or fetched into ~/.cache/somnia; `containers`: testcontainers.
PROVIDER = os.environ.get("SOMNIA_BACKENDS", "native")


def _containers_or_skip() -> None:
    from somnia_backends.containers import docker_unavailable_reason

    reason = docker_unavailable_reason()
    if reason:
        pytest.skip(f"SOMNIA_BACKENDS=containers, but {reason}")


@pytest.fixture
def nats_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real nats-server with JetStream (fsync always) on a free loopback port."""
    if PROVIDER == "containers":
        from somnia_backends.containers import ContainerNats

        _containers_or_skip()
        container = ContainerNats().start()
        yield container
        container.stop()
        return
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 int8 on onnxruntime: the real default model, loaded once per run."""
    from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder

    return OnnxMiniLMEmbedder(threads=2)


def _start_backend(kind: str, factory):  # type: ignore[no-untyped-def]
    from somnia_backends import BackendError

    try:
        return factory().start()
    except BackendError as exc:
        if REQUIRE_BACKENDS:
            raise
        pytest.skip(f"{kind} is not available ({exc}); `make backends-install` installs it")


@pytest.fixture(scope="session")
def weaviate_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Weaviate (built from its Go module at the pinned tag) on loopback, once per run."""
    from somnia_backends import WeaviateServer
    from somnia_backends.weaviate import weaviate_binary

    if PROVIDER == "containers":
        from somnia_backends.containers import ContainerWeaviate

        _containers_or_skip()
        container = ContainerWeaviate().start()
        yield container
        container.stop()
        return
    if not weaviate_binary().is_file() and not REQUIRE_BACKENDS:
        pytest.skip("Weaviate is not installed; `make backends-install` builds it (a few minutes, once)")
    server = _start_backend("Weaviate", lambda: WeaviateServer(tmp_path_factory.mktemp("weaviate")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Neo4j Community (pinned, from Maven Central jars) on loopback, once per run."""
    from somnia_backends import Neo4jServer
    from somnia_backends.neo4j import neo4j_home

    if PROVIDER == "containers":
        from somnia_backends.containers import ContainerNeo4j

        _containers_or_skip()
        container = ContainerNeo4j().start()
        yield container
        container.stop()
        return
    if not (neo4j_home() / "lib" / ".complete").exists() and not REQUIRE_BACKENDS:
        pytest.skip("Neo4j is not installed; `make backends-install` fetches it (about a minute, once)")
    server = _start_backend("Neo4j", lambda: Neo4jServer(tmp_path_factory.mktemp("neo4j")))
    yield server
    server.stop()
