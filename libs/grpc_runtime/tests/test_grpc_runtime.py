"""The gRPC runtime on a real server over a real channel: health says SERVING while up and NOT_SERVING
while draining, reflection lists what is served, the probe agrees, and the launcher refuses a bad name."""

import asyncio
import subprocess
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from somnia_auth import ServerSecurity
from somnia_grpc_runtime import GrpcServer, serving


async def test_health_and_reflection_while_serving_then_not_serving_on_stop() -> None:
    server = GrpcServer(host="127.0.0.1", port=0, services=[], security=ServerSecurity.disabled(), grace_s=0.2)
    port = await server.start()
    assert port > 0
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        listed = {s.name async for a in answers for s in a.list_services_response.service}
        assert "grpc.health.v1.Health" in listed
        assert await asyncio.to_thread(serving, f"127.0.0.1:{port}")
    await server.stop()
    assert not await asyncio.to_thread(serving, f"127.0.0.1:{port}", 0.5)


def test_the_probe_and_launcher_say_what_to_set() -> None:
    probe = subprocess.run(
        [sys.executable, "-m", "somnia_grpc_runtime.probe"],
        capture_output=True,
        text=True,
        env={"PATH": ""},
        check=False,
    )
    assert probe.returncode == 2 and "SOMNIA_HEALTH_ADDRESS" in probe.stderr
    launch = subprocess.run(
        [sys.executable, "-m", "somnia_grpc_runtime.launch"],
        capture_output=True,
        text=True,
        env={"PATH": "", "SOMNIA_SERVICE": "no such; thing"},
        check=False,
    )
    assert launch.returncode != 0 and "set SOMNIA_SERVICE" in launch.stderr
