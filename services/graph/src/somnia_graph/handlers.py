"""The JetStream side of graph: pull session and memory events in batches, link them, ack.

Acks come only after the graph store has committed; a failed batch is nacked with a growing delay;
a crash means redelivery. Writes are MERGEs, so redelivery never duplicates.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, cast

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Tracer
from pydantic import ValidationError
from somnia_bus import settle_failed
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM, Subjects, parse_event
from somnia_telemetry import ServiceMetrics, attributes, context_from_headers

from somnia_graph.service import GraphEvent, GraphLinker
from somnia_graph.settings import GraphServiceSettings

log = logging.getLogger("somnia.graph")


def stream_sequence(raw: Any) -> int:
    """The message's position in its stream (0 when unknown, as under TestNatsBroker)."""
    try:
        return int(raw.metadata.sequence.stream)
    except Exception:
        return 0


class EventBatchHandler:
    def __init__(
        self, linker: GraphLinker, tracer: Tracer, *, max_backoff_s: float, max_deliver: int, metrics: ServiceMetrics
    ) -> None:
        self._linker = linker
        self._metrics = metrics
        self._tracer = tracer
        self._max_backoff_s = max_backoff_s
        self._max_deliver = max_deliver

    async def handle(self, message: NatsBatchMessage) -> None:
        good: list[tuple[Any, GraphEvent]] = []
        for raw in message.raw_message:
            try:
                good.append((raw, cast(GraphEvent, parse_event(raw.data))))
            except (ValueError, ValidationError) as exc:
                log.error("dropping malformed event on %s: %s", raw.subject, exc)
                await raw.term()
        if not good:
            return
        spans = [
            self._tracer.start_span(
                "graph.link",
                context=context_from_headers(raw.headers),
                kind=SpanKind.CONSUMER,
                attributes={attributes.NAMESPACE: event.namespace, attributes.SESSION_ID: event.session_id},
            )
            for raw, event in good
        ]
        try:
            await self._linker.link([event for _, event in good], [stream_sequence(raw) for raw, _ in good])
        except Exception as exc:
            log.warning("linking %d events failed, retrying later: %r", len(good), exc)
            self._metrics.graph_failures.inc()
            for span in spans:
                span.record_exception(exc)
                span.set_status(trace.StatusCode.ERROR, str(exc))
                span.end()
            await settle_failed(
                [raw for raw, _ in good], exc, max_backoff_s=self._max_backoff_s, max_deliver=self._max_deliver, log=log
            )
            return
        for (raw, _), span in zip(good, spans, strict=True):
            await raw.ack()
            span.end()
        self._metrics.graph_events_linked.inc(len(good))


def register(broker: NatsBroker, handler: EventBatchHandler, settings: GraphServiceSettings) -> list[Any]:
    """One durable pull consumer per kind of event (session events, indexed memories, feedback, uses)."""
    subscribers = []
    for stream, subject, durable in (
        (SESSION_STREAM, Subjects.SESSION_ALL, settings.durable + "-sessions"),
        (MEMORY_STREAM, Subjects.MEMORY_INDEXED_ALL, settings.durable + "-memories"),
        (MEMORY_STREAM, Subjects.MEMORY_FEEDBACK_ALL, settings.durable + "-feedback"),
        (MEMORY_STREAM, Subjects.MEMORY_RECALLED_ALL, settings.durable + "-uses"),
    ):
        subscriber = broker.subscriber(
            subject,
            stream=JStream(stream.name, declare=False),
            durable=durable,
            pull_sub=PullSub(batch_size=settings.batch_size, timeout=settings.batch_wait_s, batch=True),
            config=ConsumerConfig(ack_wait=settings.ack_wait_s, max_ack_pending=settings.batch_size * 16),
            ack_policy=AckPolicy.MANUAL,
        )

        @subscriber
        async def on_events(body: Any, message: Annotated[NatsBatchMessage, Context("message")]) -> None:
            await handler.handle(message)

        subscribers.append(subscriber)
    return subscribers
