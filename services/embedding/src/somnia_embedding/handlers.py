"""The JetStream side of embedding: pull a batch of turns, index them, publish memory.indexed, ack.

Acks come only after the store has committed, so a crash means redelivery, never loss; a failed batch
is nacked with a growing delay so a store that is down is not hammered. Each turn gets its own
CONSUMER span under the span that published it, so one captured turn is one trace end to end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Tracer
from pydantic import ValidationError
from somnia_bus import JetStreamPublisher, settle_failed
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM, MemoryIndexed, MsgIds, Subjects, TurnCaptured
from somnia_telemetry import ServiceMetrics, attributes, context_from_headers

from somnia_embedding.service import IndexingService, IndexResult, PreparedBatch
from somnia_embedding.settings import EmbeddingSettings

log = logging.getLogger("somnia.embedding")


@dataclass
class _Delivery:
    raw: Any
    turn: TurnCaptured
    span: Span


class TurnBatchHandler:
    """Embeds a batch in the foreground, then commits it (write, announce, ack) in the background so
    the next batch is embedded meanwhile. At most `max_in_flight` commits run at once; `drain()` waits
    for them on shutdown. Nothing is acked before its write is durable."""

    def __init__(
        self,
        service: IndexingService,
        publisher: JetStreamPublisher,
        tracer: Tracer,
        *,
        max_backoff_s: float,
        max_deliver: int,
        embedder_name: str,
        metrics: ServiceMetrics,
        max_in_flight: int = 2,
    ) -> None:
        self._service = service
        self._publisher = publisher
        self._tracer = tracer
        self._max_backoff_s = max_backoff_s
        self._max_deliver = max_deliver
        self._embedder_name = embedder_name
        self._metrics = metrics
        self._slots = asyncio.Semaphore(max_in_flight)
        self._commits: set[asyncio.Task[None]] = set()

    async def handle(self, message: NatsBatchMessage) -> None:
        deliveries = await self._open(message)
        if not deliveries:
            return
        try:
            batch = await self._service.prepare([d.turn for d in deliveries])
        except Exception as exc:
            await self._fail(deliveries, exc)
            return
        await self._slots.acquire()
        task = asyncio.create_task(self._commit(deliveries, batch))
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def drain(self) -> None:
        """Wait for every commit in flight (call before closing the connection)."""
        if self._commits:
            await asyncio.gather(*self._commits, return_exceptions=True)

    async def _open(self, message: NatsBatchMessage) -> list[_Delivery]:
        deliveries: list[_Delivery] = []
        for raw in message.raw_message:
            try:
                turn = TurnCaptured.model_validate_json(raw.data)
            except ValidationError as exc:
                # A body no schema version explains can never succeed: drop it loudly, keep the rest.
                log.error("dropping malformed session.turn on %s: %s", raw.subject, exc)
                await raw.term()
                continue
            span = self._tracer.start_span(
                "embedding.index_turn", context=context_from_headers(raw.headers), kind=SpanKind.CONSUMER
            )
            span.set_attributes(
                {
                    attributes.NAMESPACE: turn.namespace,
                    attributes.SESSION_ID: turn.session_id,
                    attributes.TURN_ID: turn.turn_id,
                    attributes.BATCH_SIZE: len(message.raw_message),
                }
            )
            deliveries.append(_Delivery(raw, turn, span))
        return deliveries

    async def _commit(self, deliveries: list[_Delivery], batch: PreparedBatch) -> None:
        try:
            started = time.perf_counter()
            result = await self._service.commit(batch)
            await self._publish_indexed(deliveries, result)
            for d in deliveries:
                await d.raw.ack()
                d.span.end()
            self._metrics.turns_indexed.inc(len(deliveries))
            indexed_at = datetime.now(UTC)
            for d in deliveries:
                self._metrics.capture_to_indexed.observe(max(0.0, (indexed_at - d.turn.captured_at).total_seconds()))
            t = result.timings
            log.debug(
                "batch of %d: embed %.0f ms, store %.0f ms, store+publish+ack %.0f ms",
                len(deliveries),
                (t.embed_end - t.embed_start) / 1e6,
                (t.store_end - t.store_start) / 1e6,
                (time.perf_counter() - started) * 1000,
            )
        except Exception as exc:
            await self._fail(deliveries, exc)
        finally:
            self._slots.release()

    async def _fail(self, deliveries: list[_Delivery], exc: Exception) -> None:
        log.warning("indexing %d turns failed, retrying later: %r", len(deliveries), exc)
        self._metrics.indexing_failures.inc()
        for d in deliveries:
            d.span.record_exception(exc)
            d.span.set_status(trace.StatusCode.ERROR, str(exc))
            d.span.end()
        await settle_failed(
            [d.raw for d in deliveries], exc, max_backoff_s=self._max_backoff_s, max_deliver=self._max_deliver, log=log
        )

    async def _publish_indexed(self, deliveries: list[_Delivery], result: IndexResult) -> None:
        t = result.timings
        publishes = []
        for delivery, event in zip(deliveries, result.events, strict=True):
            parent = trace.set_span_in_context(delivery.span)
            # The batch embedded and stored everything at once; each turn's trace shows those phases.
            self._tracer.start_span(
                "embedder.embed",
                context=parent,
                start_time=t.embed_start,
                attributes={attributes.EMBEDDER: self._embedder_name},
            ).end(end_time=t.embed_end)
            self._tracer.start_span(
                "memory_store.upsert",
                context=parent,
                start_time=t.store_start,
                attributes={attributes.MEMORY_COUNT: len(event.memory_ids)},
            ).end(end_time=t.store_end)
            publishes.append(self._publish_one(delivery.span, event))
        await asyncio.gather(*publishes)

    async def _publish_one(self, span: Span, event: MemoryIndexed) -> None:
        with trace.use_span(span, end_on_exit=False):
            await self._publisher.publish(
                event,
                subject=Subjects.memory_indexed(event.namespace, event.session_id),
                msg_id=MsgIds.memory_indexed(event.namespace, event.session_id, event.turn_id),
                stream=MEMORY_STREAM.name,
            )


def register(broker: NatsBroker, handler: TurnBatchHandler, settings: EmbeddingSettings) -> Any:
    """Bind the durable pull consumer on every session.turn subject to the handler; returns the
    subscriber so that shutdown can stop it before draining the handler."""

    subscriber = broker.subscriber(
        Subjects.SESSION_TURN_ALL,
        stream=JStream(SESSION_STREAM.name, declare=False),
        durable=settings.durable,
        pull_sub=PullSub(batch_size=settings.batch_size, timeout=settings.batch_wait_s, batch=True),
        config=ConsumerConfig(ack_wait=settings.ack_wait_s, max_ack_pending=settings.batch_size * 16),
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def on_turns(body: Any, message: Annotated[NatsBatchMessage, Context("message")]) -> None:
        await handler.handle(message)

    return subscriber
