"""The JetStream side of forgetting: feedback becomes negative memories and verdicts, failed tool results
become negative memories, and a closed session marks its namespace due for a sweep. Acks only after the
writes; a failed batch is nacked with a growing delay (writes are keyed, so redelivery adds nothing)."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Protocol

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from pydantic import ValidationError
from somnia_bus import settle_failed
from somnia_contracts import (
    MEMORY_STREAM,
    SESSION_STREAM,
    MemoryFeedback,
    SessionClosed,
    Subjects,
    TurnCaptured,
    parse_event,
)
from somnia_contracts.events import Event

from somnia_forgetting.negative import NegativeKnowledge
from somnia_forgetting.settings import ForgettingSettings

log = logging.getLogger("somnia.forgetting")


class DueNamespaces(Protocol):
    async def mark_due(self, namespace: str) -> None: ...


class ForgettingEventHandler:
    def __init__(self, negative: NegativeKnowledge, due: DueNamespaces, settings: ForgettingSettings) -> None:
        self._negative = negative
        self._due = due
        self._settings = settings
        self.negative_written = 0

    async def handle(self, message: NatsBatchMessage) -> None:
        good: list[tuple[Any, Event]] = []
        for raw in message.raw_message:
            try:
                good.append((raw, parse_event(raw.data)))
            except (ValueError, ValidationError) as exc:
                log.error("dropping malformed event on %s: %s", raw.subject, exc)
                await raw.term()
        if not good:
            return
        events = [e for _, e in good]
        try:
            self.negative_written += await self._negative.from_feedback(
                [e for e in events if isinstance(e, MemoryFeedback)]
            )
            self.negative_written += await self._negative.from_turns([e for e in events if isinstance(e, TurnCaptured)])
            for namespace in {e.namespace for e in events if isinstance(e, SessionClosed)}:
                await self._due.mark_due(namespace)
        except Exception as exc:
            log.warning("forgetting could not handle %d events, retrying later: %r", len(good), exc)
            await settle_failed(
                [raw for raw, _ in good],
                exc,
                max_backoff_s=self._settings.max_backoff_s,
                max_deliver=self._settings.max_deliver,
                log=log,
            )
            return
        for raw, _ in good:
            await raw.ack()


def register(broker: NatsBroker, handler: ForgettingEventHandler, settings: ForgettingSettings) -> list[Any]:
    subscribers = []
    for stream, subject, durable in (
        (MEMORY_STREAM, Subjects.MEMORY_FEEDBACK_ALL, settings.durable + "-feedback"),
        (SESSION_STREAM, Subjects.SESSION_TURN_ALL, settings.durable + "-turns"),
        (SESSION_STREAM, Subjects.SESSION_CLOSED_ALL, settings.durable + "-closed"),
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
