"""The parts every consuming service runs around its own logic: a NATS broker with its durable consumers,
the streams it touches, a gRPC health endpoint, Prometheus metrics and a lag gauge per consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream.nats import NatsBroker
from faststream.nats.message import NatsBatchMessage
from opentelemetry import trace
from opentelemetry.trace import Tracer, TracerProvider
from somnia_auth import ServerSecurity
from somnia_bus import (
    ConsumerSpec,
    close_broker,
    create_broker,
    ensure_streams,
    reply_inbox,
    subscribe_batches,
    watch_consumer_lag,
)
from somnia_contracts import StreamSpec
from somnia_grpc_runtime import GrpcServer
from somnia_telemetry import ServiceMetrics, create_metrics, serve_metrics

from somnia_service_runtime.readiness import ReadinessWatch
from somnia_service_runtime.settings import ConsumerSettings


class ConsumerProcess:
    """Build it in `create_app`, bind consumers with `consume()`, then `start()` / `stop()` with the app.

    `stop()` stops pulling first, then lets `drain` finish the work in flight, then disconnects: nothing
    is acked that was not done, and nothing done is left unacked if the grace allows."""

    def __init__(
        self,
        name: str,
        settings: ConsumerSettings,
        streams: Sequence[StreamSpec],
        tracer_provider: TracerProvider | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.streams = tuple(streams)
        self.metrics = metrics or create_metrics()
        self.broker: NatsBroker = create_broker(
            settings.nats_url,
            name=name,
            tracer_provider=tracer_provider,
            graceful_timeout_s=settings.shutdown_grace_s,
        )
        self.tracer: Tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(
            f"somnia.{name.replace('-', '_')}"
        )
        # Health alone, no data: plaintext and open, as the kubelet's probes need.
        self.health = GrpcServer(
            host=settings.health_host,
            port=settings.health_port,
            services=[],
            security=ServerSecurity.disabled(),
            tracer_provider=tracer_provider,
        )
        self.specs: list[ConsumerSpec] = []
        self._subscribers: list[Any] = []
        self._lag_watches: list[asyncio.Task[None]] = []
        self._log = logging.getLogger(f"somnia.{name.replace('-', '_')}")
        self.readiness = ReadinessWatch(self.health, {"NATS": self._nats_connected}, self._log)

    def consume(self, specs: Sequence[ConsumerSpec], handle: Callable[[NatsBatchMessage], Awaitable[None]]) -> None:
        """Bind durable consumers to a batch handler (before `start()`)."""
        self.specs += specs
        self._subscribers += subscribe_batches(self.broker, specs, handle, inbox=reply_inbox(self.settings.nats_url))

    async def connect(self) -> None:
        """Connect and declare the streams (idempotent); consumers do not pull until `start()`."""
        await self.broker.connect()
        await ensure_streams(self.broker, *self.streams)

    async def start(self) -> int:
        """Start pulling, serve health and metrics, watch each consumer's lag; returns the health port."""
        await self.broker.start()
        port = await self.health.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        for spec in self.specs:
            gauge = self.metrics.consumer_pending.labels(spec.stream.name, spec.durable)
            watch = watch_consumer_lag(self.broker, spec.stream.name, spec.durable, gauge.set)
            self._lag_watches.append(asyncio.create_task(watch))
        self.readiness.start()
        self._log.info(
            "%s consuming %s; health on port %s",
            self.name,
            ", ".join(sorted({s.subject for s in self.specs})) or "nothing",
            port,
        )
        return port

    async def _nats_connected(self) -> bool:
        return bool(self.broker.connection.is_connected)

    async def stop(self, drain: Callable[[], Awaitable[None]] | None = None) -> None:
        await self.readiness.stop()
        for watch in self._lag_watches:
            watch.cancel()
        await self.health.stop()
        for subscriber in self._subscribers:
            await subscriber.stop()
        if drain is not None:
            await drain()
        await close_broker(self.broker)
