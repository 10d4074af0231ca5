"""A grpc.aio server with the standard health and reflection services, OTel server spans, and the
caller checks of `somnia_auth` (authentication, rate limits, TLS) on everything but health."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters
from opentelemetry.trace import TracerProvider
from somnia_auth import ServerSecurity

from somnia_grpc_runtime.undecodable import UndecodableRequests


@dataclass(frozen=True)
class ServiceBinding:
    """A servicer and how to add it: `add` is the generated `add_XServicer_to_server`."""

    name: str
    servicer: Any
    add: Callable[[Any, grpc.aio.Server], None]


# The health service name readiness probes ask for (Kubernetes' gRPC probe `service: readiness`).
READINESS = "readiness"


class GrpcServer:
    """Start serving with `start()`; `stop()` reports NOT_SERVING, then drains calls for `grace_s`."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        services: list[ServiceBinding],
        security: ServerSecurity,
        tracer_provider: TracerProvider | None = None,
        grace_s: float = 5.0,
        max_message_bytes: int = 4 * 1024 * 1024,
        max_concurrent_rpcs: int | None = None,
    ) -> None:
        self._host = host
        self._address = f"{host}:{port}"
        self._grace_s = grace_s
        self._services = services
        self._security = security
        self._health = health.aio.HealthServicer()
        options = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        # Probes call the health service every few seconds: a trace for each would bury the real calls.
        tracing = aio_server_interceptor(  # type: ignore[no-untyped-call]
            tracer_provider=tracer_provider, filter_=filters.negate(filters.health_check())
        )
        # Past max_concurrent_rpcs a call is refused at once with RESOURCE_EXHAUSTED: a flood meets
        # backpressure instead of queueing until memory runs out.
        self._server = grpc.aio.server(
            # Tracing sees every call; a caller is admitted before a malformed request is answered.
            interceptors=[tracing, security.interceptor(), UndecodableRequests()],
            options=options,
            maximum_concurrent_rpcs=max_concurrent_rpcs,
        )
        # Probes that cannot speak TLS (the kubelet's) ask a plaintext health-only server.
        self._health_server: grpc.aio.Server | None = None
        self.port = 0
        self.health_port = 0

    @property
    def security(self) -> ServerSecurity:
        return self._security

    async def start(self) -> int:
        """Bind, register everything and start; returns the bound port (useful with port 0)."""
        for binding in self._services:
            binding.add(binding.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        names = [b.name for b in self._services]
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self._server,
        )
        credentials = self._security.server_credentials()
        if credentials is not None:
            self.port = self._server.add_secure_port(self._address, credentials)
        else:
            self.port = self._server.add_insecure_port(self._address)
        if self.port == 0:
            raise OSError(f"cannot bind gRPC server to {self._address}")
        if self._security.plaintext_health_port:
            self._health_server = grpc.aio.server()
            health_pb2_grpc.add_HealthServicer_to_server(self._health, self._health_server)
            address = f"{self._host}:{self._security.plaintext_health_port}"
            self.health_port = self._health_server.add_insecure_port(address)
            await self._health_server.start()
        await self._server.start()
        for name in ["", READINESS, *names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self.port

    async def set_ready(self, ready: bool) -> None:
        """Readiness (health service "readiness"): NOT_SERVING while what the process needs is out of
        reach. Liveness ("" and the API's own name) stays SERVING: the process is fine, restarting it
        would not bring NATS or a store back."""
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        await self._health.set(READINESS, status)

    async def stop(self) -> None:
        await self._health.enter_graceful_shutdown()
        await self._server.stop(self._grace_s)
        if self._health_server is not None:
            await self._health_server.stop(0)
