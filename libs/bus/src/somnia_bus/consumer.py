"""One consumer runtime for every service: durable pull consumers bound from specs, and one batch handler
that parses each body, terminates the ones no schema explains, opens a CONSUMER span under the span that
published it, calls the service, and acks only after it succeeded (or nacks with a growing delay).

A crash anywhere before the ack means redelivery; the services' writes are idempotent, so a redelivered
message changes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Tracer
from somnia_contracts import StreamSpec
from somnia_telemetry import context_from_headers

from somnia_bus.redelivery import num_delivered, settle_failed

E = TypeVar("E")


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer: which subjects of which stream, and how much it takes at once."""

    stream: StreamSpec
    subject: str
    durable: str
    batch_size: int
    batch_wait_s: float
    ack_wait_s: float
    # Messages delivered but not yet acked; bounds the work a crash hands back to JetStream.
    max_ack_pending: int


def subscribe_batches(
    broker: NatsBroker,
    specs: Sequence[ConsumerSpec],
    handle: Callable[[NatsBatchMessage], Awaitable[None]],
    *,
    inbox: str = "_INBOX",
) -> list[Any]:
    """Bind each spec's durable consumer to `handle` (manual acks); returns the subscribers, so that a
    shutdown can stop them before draining the work in flight. Fetched batches arrive under `inbox`
    (the connection's own, `reply_inbox(url)`, which is all a service's NATS user may listen on)."""
    subscribers = []
    for spec in specs:
        subscriber = broker.subscriber(
            spec.subject,
            stream=JStream(spec.stream.name, declare=False),
            durable=spec.durable,
            pull_sub=PullSub(batch_size=spec.batch_size, timeout=spec.batch_wait_s, batch=True),
            config=ConsumerConfig(ack_wait=spec.ack_wait_s, max_ack_pending=spec.max_ack_pending),
            ack_policy=AckPolicy.MANUAL,
            inbox_prefix=f"{inbox}.".encode(),
        )

        @subscriber
        async def on_batch(body: Any, message: Annotated[NatsBatchMessage, Context("message")]) -> None:
            await handle(message)

        subscribers.append(subscriber)
    return subscribers


@dataclass
class Delivery(Generic[E]):
    """One message of a batch: the raw JetStream message, its parsed event, and its CONSUMER span."""

    raw: Any
    event: E
    span: Span

    @property
    def sequence(self) -> int:
        """The message's position in its stream: arrival order (0 when unknown, as under TestNatsBroker)."""
        try:
            return int(self.raw.metadata.sequence.stream)
        except Exception:
            return 0

    @property
    def redelivered(self) -> bool:
        """JetStream delivered this message before: an earlier attempt may have written part of it."""
        return num_delivered(self.raw) > 1


@dataclass(frozen=True)
class Retry:
    """How failed messages come back: a growing delay up to `max_backoff_s`, given up after `max_deliver`."""

    max_backoff_s: float
    max_deliver: int


class DeliveryOpener(Generic[E]):
    """Parses a batch into deliveries: bodies that no schema explains are terminated (they can never
    succeed), every other message gets a CONSUMER span parented by its publisher's trace context."""

    def __init__(
        self,
        parse: Callable[[bytes], E],
        tracer: Tracer,
        span_name: str,
        span_attributes: Callable[[E], Mapping[str, Any]],
        log: logging.Logger,
    ) -> None:
        self._parse, self._tracer, self._span_name = parse, tracer, span_name
        self._span_attributes, self._log = span_attributes, log

    async def open(self, message: NatsBatchMessage) -> list[Delivery[E]]:
        deliveries: list[Delivery[E]] = []
        for raw in message.raw_message:
            try:
                event = self._parse(raw.data)
            except Exception as exc:  # ValueError, ValidationError, RecursionError on deep nesting, ...
                # A body that cannot be parsed never will be: redelivering it would only stall the consumer.
                self._log.error("dropping malformed message on %s: %s", raw.subject, repr(exc)[:500])
                await raw.term()
                continue
            span = self._tracer.start_span(
                self._span_name,
                context=context_from_headers(raw.headers),
                kind=SpanKind.CONSUMER,
                attributes=dict(self._span_attributes(event)),
            )
            deliveries.append(Delivery(raw, event, span))
        return deliveries


async def fail_deliveries(
    deliveries: Sequence[Delivery[Any]], exc: BaseException, retry: Retry, log: logging.Logger
) -> None:
    """Mark each span failed, end it, and nack (or terminate, after too many attempts) each message."""
    for d in deliveries:
        d.span.record_exception(exc)
        d.span.set_status(trace.StatusCode.ERROR, str(exc))
        d.span.end()
    await settle_failed(
        [d.raw for d in deliveries], exc, max_backoff_s=retry.max_backoff_s, max_deliver=retry.max_deliver, log=log
    )


async def ack_deliveries(deliveries: Sequence[Delivery[Any]]) -> None:
    for d in deliveries:
        await d.raw.ack()
        d.span.end()


class BatchConsumer(Generic[E]):
    """parse -> term bad bodies -> CONSUMER span -> `process` -> ack, or nack with a growing delay.

    `per_message=False` hands the whole batch to `process` at once (one transaction for many events);
    `per_message=True` calls it once per event, inside that event's span, and settles each on its own, so
    one failing event (a warm pack, a dream run) does not send its batch-mates back."""

    def __init__(
        self,
        opener: DeliveryOpener[E],
        process: Callable[[list[Delivery[E]]], Awaitable[None]],
        retry: Retry,
        log: logging.Logger,
        *,
        per_message: bool = False,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._opener, self._process, self._retry, self._log = opener, process, retry, log
        self._per_message = per_message
        self._on_failure = on_failure
        self.handled = 0

    async def handle(self, message: NatsBatchMessage) -> None:
        deliveries = await self._opener.open(message)
        if not deliveries:
            return
        groups = [[d] for d in deliveries] if self._per_message else [deliveries]
        for group in groups:
            try:
                # One event's work runs inside its span, so what it calls is traced under it.
                with trace.use_span(group[0].span, end_on_exit=False) if self._per_message else nullcontext():
                    await self._process(group)
            except Exception as exc:
                self._log.warning("handling %d messages failed, retrying later: %r", len(group), exc)
                if self._on_failure is not None:
                    self._on_failure(exc)
                await fail_deliveries(group, exc, self._retry, self._log)
                continue
            await ack_deliveries(group)
            self.handled += len(group)
