"""Health that tells the truth: readiness goes NOT_SERVING while NATS is out of reach and SERVING again
when it is back, while liveness stays SERVING throughout (a restart would not bring NATS back)."""

import asyncio
import logging
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic_settings import SettingsConfigDict
from somnia_auth import ServerSecurity
from somnia_contracts import SESSION_STREAM
from somnia_grpc_runtime import GrpcServer
from somnia_nats_server import NatsServer
from somnia_service_runtime import ConsumerProcess, ConsumerSettings, ReadinessWatch

pytestmark = pytest.mark.integration

SERVING = health_pb2.HealthCheckResponse.SERVING


class ProbeSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_PROBE_", extra="ignore", populate_by_name=True)


async def status(port: int, service: str) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
        return int(reply.status)


async def wait_for(port: int, service: str, want: int, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while await status(port, service) != want:
        assert asyncio.get_running_loop().time() < deadline, f"{service!r} never became {want}"
        await asyncio.sleep(0.2)


async def test_readiness_follows_nats_and_liveness_stays_up(tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats").start()
    process = ConsumerProcess("probe", ProbeSettings(nats_url=nats.url, health_port=0), (SESSION_STREAM,))
    try:
        await process.connect()
        port = await process.start()
        await wait_for(port, "readiness", SERVING)
        nats.kill()
        await wait_for(port, "readiness", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert await status(port, "") == SERVING
        assert process.readiness.unreachable == ["NATS"]
        nats.start()  # same port, same JetStream directory: the client reconnects on its own
        await wait_for(port, "readiness", SERVING, timeout_s=40.0)
        assert await status(port, "") == SERVING
    finally:
        await process.stop()
        nats.stop()


async def test_readiness_follows_the_store_too(tmp_path: Path) -> None:
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    nats = NatsServer(tmp_path / "nats").start()
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    process = ConsumerProcess("probe", ProbeSettings(nats_url=nats.url, health_port=0), (SESSION_STREAM,))
    process.readiness.watch("the memory store", store.reachable)
    try:
        await process.connect()
        port = await process.start()
        await wait_for(port, "readiness", SERVING)
        await store.aclose()  # the store is gone: no longer ready, still alive
        await wait_for(port, "readiness", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert process.readiness.unreachable == ["the memory store"]
        assert await status(port, "") == SERVING
    finally:
        await process.stop()
        nats.stop()


async def test_stopping_ends_the_watch_even_when_a_check_swallows_the_cancel() -> None:
    # A check that completes as it is cancelled can make a cancellation vanish (asyncio.wait_for did,
    # in 3.11, with a store check on a worker thread): stop() must still return.
    calls = 0

    async def stubborn() -> bool:
        nonlocal calls
        calls += 1
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            return True  # swallowed, on purpose
        return True

    server = GrpcServer(host="127.0.0.1", port=0, services=[], security=ServerSecurity.disabled())
    await server.start()
    watch = ReadinessWatch(server, {"stubborn": stubborn}, logging.getLogger("test"), interval_s=0.05)
    watch.start()
    await asyncio.sleep(0.2)
    await asyncio.wait_for(watch.stop(), 2.0)
    assert calls >= 2  # it really ran before it was stopped
    await server.stop()
