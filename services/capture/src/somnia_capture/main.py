"""capture's process: NATS connection, streams, gRPC server, graceful shutdown."""

from __future__ import annotations

import logging

from opentelemetry.trace import TracerProvider
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia_auth import ServerSecurity
from somnia_bus import JetStreamPublisher, UsageBoard, close_broker, create_broker, ensure_streams, redacted
from somnia_contracts import SESSION_STREAM
from somnia_grpc_runtime import GrpcServer, ServiceBinding
from somnia_service_runtime import ReadinessWatch
from somnia_service_runtime import run as run_service
from somnia_telemetry import create_metrics, serve_metrics

from somnia_capture.service import CaptureService
from somnia_capture.servicer import CaptureServicer
from somnia_capture.settings import CaptureSettings
from somnia_capture.storage_quota import StorageGate

log = logging.getLogger("somnia.capture")


class CaptureApp:
    """Everything capture runs, started and stopped as one."""

    def __init__(
        self, settings: CaptureSettings, security: ServerSecurity, tracer_provider: TracerProvider | None = None
    ) -> None:
        self.settings = settings
        self.metrics = create_metrics()
        self.broker = create_broker(settings.nats_url, name="capture", tracer_provider=tracer_provider)
        self.quotas = quotas = settings.storage()
        self.service = CaptureService(
            JetStreamPublisher(self.broker, timeout_s=settings.publish_timeout_s),
            max_turn_bytes=settings.max_turn_bytes,
            max_turns_per_request=settings.max_turns_per_request,
            storage_gate=StorageGate(quotas, UsageBoard(self.broker), refresh_s=settings.usage_refresh_s)
            if quotas.enabled
            else None,
        )
        self.server = GrpcServer(
            host=settings.host,
            port=settings.port,
            services=[
                ServiceBinding(
                    name=capture_pb2.DESCRIPTOR.services_by_name["CaptureService"].full_name,
                    servicer=CaptureServicer(self.service, self.metrics),
                    add=capture_pb2_grpc.add_CaptureServiceServicer_to_server,
                )
            ],
            security=security,
            tracer_provider=tracer_provider,
            grace_s=settings.shutdown_grace_s,
            max_concurrent_rpcs=settings.max_concurrent_rpcs,
            # gRPC's own cap: room for a few turns at the size limit (larger requests get RESOURCE_EXHAUSTED).
            max_message_bytes=max(4 * 1024 * 1024, settings.max_turn_bytes * 4),
        )
        self.readiness = ReadinessWatch(self.server, {"NATS": self._nats_connected}, log)

    async def start(self) -> int:
        await self.broker.connect()
        await ensure_streams(self.broker, SESSION_STREAM)
        port = await self.server.start()
        self.readiness.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        log.info(
            "capture serving gRPC on %s:%s, publishing to %s",
            self.settings.host,
            port,
            redacted(self.settings.nats_url),
        )
        self.server.security.announce(log, "capture")
        quotas = self.quotas
        if quotas.enabled:
            log.info(
                "storage quotas: %s memories a namespace by default, %s by pattern",
                quotas.default or "no cap",
                dict(quotas.by_pattern) or "none",
            )
        return port

    async def _nats_connected(self) -> bool:
        return bool(self.broker.connection.is_connected)

    async def stop(self) -> None:
        await self.readiness.stop()
        await self.server.stop()
        await close_broker(self.broker)


def create_app(settings: CaptureSettings, tracer_provider: TracerProvider | None = None) -> CaptureApp:
    return CaptureApp(settings, ServerSecurity.from_env(), tracer_provider)


def run() -> None:
    run_service("capture", create_app, CaptureSettings)
