"""The JetStream side: a durable pull consumer of `session.started`; ack after the pack is stored,
nack with a growing delay when a store or NATS fails, so a crash means the pack is built again."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Tracer
from pydantic import ValidationError
from somnia_bus import settle_failed
from somnia_contracts import SESSION_STREAM, SessionStarted, Subjects
from somnia_telemetry import ServiceMetrics, attributes, context_from_headers

from somnia_cache_warming.settings import CacheWarmingSettings
from somnia_cache_warming.warmer import SessionWarmer

log = logging.getLogger("somnia.cache_warming")


class SessionStartedHandler:
    def __init__(
        self, warmer: SessionWarmer, tracer: Tracer, settings: CacheWarmingSettings, metrics: ServiceMetrics
    ) -> None:
        self._warmer = warmer
        self._metrics = metrics
        self._tracer = tracer
        self._settings = settings
        self.warmed = 0

    async def handle(self, message: NatsBatchMessage) -> None:
        for raw in message.raw_message:
            try:
                started = SessionStarted.model_validate_json(raw.data)
            except ValidationError as exc:
                log.error("dropping malformed session.started on %s: %s", raw.subject, exc)
                await raw.term()
                continue
            with self._tracer.start_as_current_span(
                "cache_warming.warm",
                context=context_from_headers(raw.headers),
                kind=SpanKind.CONSUMER,
                attributes={attributes.NAMESPACE: started.namespace, attributes.SESSION_ID: started.session_id},
            ) as span:
                try:
                    with self._metrics.warm_pack_build.time():
                        warmed = await self._warmer.warm(started)
                    if warmed:
                        self.warmed += 1
                        self._metrics.warm_packs.labels("warmed").inc()
                except Exception as exc:
                    log.warning("warming session %s failed, retrying later: %r", started.session_id, exc)
                    span.record_exception(exc)
                    span.set_status(trace.StatusCode.ERROR, str(exc))
                    await settle_failed(
                        [raw],
                        exc,
                        max_backoff_s=self._settings.max_backoff_s,
                        max_deliver=self._settings.max_deliver,
                        log=log,
                    )
                    continue
            await raw.ack()


def register(broker: NatsBroker, handler: SessionStartedHandler, settings: CacheWarmingSettings) -> Any:
    subscriber = broker.subscriber(
        Subjects.SESSION_STARTED_ALL,
        stream=JStream(SESSION_STREAM.name, declare=False),
        durable=settings.durable,
        pull_sub=PullSub(batch_size=settings.batch_size, timeout=settings.batch_wait_s, batch=True),
        config=ConsumerConfig(ack_wait=settings.ack_wait_s, max_ack_pending=settings.batch_size * 4),
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def on_started(body: Any, message: Annotated[NatsBatchMessage, Context("message")]) -> None:
        await handler.handle(message)

    return subscriber
