"""The JetStream side: a durable pull consumer of `dream.requested`, one run at a time. Ack after the run
finishes; a failed job naks with a growing delay, and the redelivered request resumes the same run id."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import Tracer
from somnia_bus import BatchConsumer, ConsumerSpec, Delivery, DeliveryOpener, JetStreamPublisher
from somnia_contracts import DREAM_STREAM, DreamEvent, DreamRequested, Subjects
from somnia_telemetry import attributes

from somnia_dreaming.models import DreamWindow
from somnia_dreaming.runner import DreamRunner
from somnia_dreaming.settings import DreamingSettings

log = logging.getLogger("somnia.dreaming")


class JetStreamDreamEvents:
    """Publishes what a run found on SOMNIA_DREAM; msg ids make a resumed run's repeats harmless."""

    def __init__(self, publisher: JetStreamPublisher) -> None:
        self._publisher = publisher

    async def publish(self, event: DreamEvent) -> None:
        await self._publisher.publish_event(event)


def consumer_specs(settings: DreamingSettings) -> list[ConsumerSpec]:
    return [settings.consumer(DREAM_STREAM, Subjects.DREAM_REQUESTED_ALL, pending_batches=1)]


def _parse(body: bytes) -> DreamRequested:
    request = DreamRequested.model_validate_json(body)
    DreamWindow(namespace=request.namespace, since=request.since, until=request.until)  # a window that can run
    return request


def _span_attributes(request: DreamRequested) -> Mapping[str, Any]:
    return {attributes.NAMESPACE: request.namespace, attributes.DREAM_RUN_ID: request.run_id}


class DreamRunCounter:
    """Runs this process finished (tests and logs read it)."""

    def __init__(self) -> None:
        self.finished = 0


def create_consumer(
    runner: DreamRunner, tracer: Tracer, settings: DreamingSettings, counter: DreamRunCounter
) -> BatchConsumer[DreamRequested]:
    async def dream(one: list[Delivery[DreamRequested]]) -> None:
        request = one[0].event
        window = DreamWindow(namespace=request.namespace, since=request.since, until=request.until)
        state = await runner.run(window, request.run_id, request.jobs)
        counter.finished += 1
        summary = "; ".join(f"{job}: {result.note}" for job, result in state.done.items())
        log.info("dream run %s of %s finished: %s", state.run_id, state.namespace, summary)

    return BatchConsumer(
        DeliveryOpener(_parse, tracer, "dreaming.run", _span_attributes, log),
        dream,
        settings.retry,
        log,
        per_message=True,
    )
