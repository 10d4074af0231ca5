"""The JetStream side of embedding: pull a batch of turns, index them, publish memory.indexed, ack.

Acks come only after the store has committed, so a crash means redelivery, never loss; a failed batch
is nacked with a growing delay so a store that is down is not hammered. Each turn gets its own
CONSUMER span under the span that published it, so one captured turn is one trace end to end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from faststream.nats.message import NatsBatchMessage
from opentelemetry import trace
from opentelemetry.trace import Span, Tracer
from somnia_bus import ConsumerSpec, Delivery, DeliveryOpener, JetStreamPublisher, Retry, fail_deliveries
from somnia_contracts import SESSION_STREAM, MemoryIndexed, Subjects, TurnCaptured
from somnia_memory_model import UsageReporter
from somnia_telemetry import ServiceMetrics, attributes

from somnia_embedding.service import IndexingService, IndexResult, PreparedBatch
from somnia_embedding.settings import EmbeddingSettings

log = logging.getLogger("somnia.embedding")


def consumer_specs(settings: EmbeddingSettings) -> list[ConsumerSpec]:
    return [settings.consumer(SESSION_STREAM, Subjects.SESSION_TURN_ALL)]


def _span_attributes(turn: TurnCaptured) -> Mapping[str, Any]:
    return {
        attributes.NAMESPACE: turn.namespace,
        attributes.SESSION_ID: turn.session_id,
        attributes.TURN_ID: turn.turn_id,
    }


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
        retry: Retry,
        embedder_name: str,
        metrics: ServiceMetrics,
        usage: UsageReporter | None = None,
        max_in_flight: int = 2,
    ) -> None:
        self._usage = usage
        self._service = service
        self._publisher = publisher
        self._tracer = tracer
        self._retry = retry
        self._opener = DeliveryOpener(
            TurnCaptured.model_validate_json, tracer, "embedding.index_turn", _span_attributes, log
        )
        self._embedder_name = embedder_name
        self._metrics = metrics
        self._slots = asyncio.Semaphore(max_in_flight)
        self._commits: set[asyncio.Task[None]] = set()

    async def handle(self, message: NatsBatchMessage) -> None:
        deliveries = await self._opener.open(message)
        if not deliveries:
            return
        for d in deliveries:
            d.span.set_attribute(attributes.BATCH_SIZE, len(message.raw_message))
        try:
            batch = await self._service.prepare([d.event for d in deliveries])
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
        if self._usage:
            await self._usage.aclose()

    async def _commit(self, deliveries: list[Delivery[TurnCaptured]], batch: PreparedBatch) -> None:
        try:
            started = time.perf_counter()
            result = await self._service.commit(batch, retry=any(d.redelivered for d in deliveries))
            await self._publish_indexed(deliveries, result)
            for d in deliveries:
                await d.raw.ack()
                d.span.end()
            self._metrics.turns_indexed.inc(len(deliveries))
            if self._usage:
                await self._usage.after_write(d.event.namespace for d in deliveries)
            indexed_at = datetime.now(UTC)
            for d in deliveries:
                self._metrics.capture_to_indexed.observe(max(0.0, (indexed_at - d.event.captured_at).total_seconds()))
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

    async def _fail(self, deliveries: list[Delivery[TurnCaptured]], exc: Exception) -> None:
        log.warning("indexing %d turns failed, retrying later: %r", len(deliveries), exc)
        self._metrics.indexing_failures.inc()
        await fail_deliveries(deliveries, exc, self._retry, log)

    async def _publish_indexed(self, deliveries: list[Delivery[TurnCaptured]], result: IndexResult) -> None:
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
            await self._publisher.publish_event(event)
