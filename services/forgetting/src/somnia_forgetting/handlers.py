"""The JetStream side of forgetting: feedback becomes negative memories and verdicts, failed tool results
become negative memories, a closed session marks its namespace due for a sweep, and memories withdrawn
in conversation make the adapters holding them stale. The shared consumer
runtime acks only after the writes; writes are keyed, so a redelivery adds nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from opentelemetry.trace import Tracer
from somnia_bus import BatchConsumer, ConsumerSpec, Delivery, DeliveryOpener
from somnia_contracts import (
    MEMORY_STREAM,
    SESSION_STREAM,
    Event,
    MemoryFeedback,
    MemoryWithdrawn,
    SessionClosed,
    Subjects,
    TurnCaptured,
    parse_event,
)
from somnia_parametric import StaleAdapters
from somnia_telemetry import attributes

from somnia_forgetting.adapters import adapters_after_withdrawal
from somnia_forgetting.negative import NegativeKnowledge
from somnia_forgetting.settings import ForgettingSettings

log = logging.getLogger("somnia.forgetting")


class DueNamespaces(Protocol):
    async def mark_due(self, namespace: str) -> None: ...


def consumer_specs(settings: ForgettingSettings) -> list[ConsumerSpec]:
    return [
        settings.consumer(MEMORY_STREAM, Subjects.MEMORY_FEEDBACK_ALL, suffix="-feedback"),
        settings.consumer(SESSION_STREAM, Subjects.SESSION_TURN_ALL, suffix="-turns"),
        settings.consumer(SESSION_STREAM, Subjects.SESSION_CLOSED_ALL, suffix="-closed"),
        settings.consumer(MEMORY_STREAM, Subjects.MEMORY_WITHDRAWN_ALL, suffix="-withdrawn"),
    ]


def _span_attributes(event: Event) -> Mapping[str, Any]:
    return {attributes.NAMESPACE: event.namespace, attributes.SESSION_ID: event.session_id}


class NegativeCounter:
    """Negative memories this process wrote (tests and logs read it)."""

    def __init__(self) -> None:
        self.written = 0
        self.adapters_stale = 0


def create_consumer(
    negative: NegativeKnowledge,
    due: DueNamespaces,
    tracer: Tracer,
    settings: ForgettingSettings,
    counter: NegativeCounter,
    stale: StaleAdapters | None = None,
) -> BatchConsumer[Event]:
    async def handle(batch: list[Delivery[Event]]) -> None:
        events = [d.event for d in batch]
        counter.written += await negative.from_feedback([e for e in events if isinstance(e, MemoryFeedback)])
        counter.written += await negative.from_turns([e for e in events if isinstance(e, TurnCaptured)])
        for namespace in {e.namespace for e in events if isinstance(e, SessionClosed)}:
            await due.mark_due(namespace)
        withdrawn = [e for e in events if isinstance(e, MemoryWithdrawn)]
        if withdrawn and stale is not None:
            counter.adapters_stale += await adapters_after_withdrawal(stale, withdrawn)

    return BatchConsumer(
        DeliveryOpener(parse_event, tracer, "forgetting.handle", _span_attributes, log), handle, settings.retry, log
    )
