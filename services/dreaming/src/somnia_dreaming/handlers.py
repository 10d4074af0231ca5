"""The JetStream side: a durable pull consumer of `dream.requested`, one run at a time. Ack after the run
finishes; a failed job naks with a growing delay, and the redelivered request resumes the same run id."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from pydantic import ValidationError
from somnia_bus import JetStreamPublisher, settle_failed
from somnia_contracts import DREAM_STREAM, DreamEvent, DreamRequested, MsgIds, Subjects

from somnia_dreaming.models import DreamWindow
from somnia_dreaming.runner import DreamRunner
from somnia_dreaming.settings import DreamingSettings

log = logging.getLogger("somnia.dreaming")


class JetStreamDreamEvents:
    """Publishes what a run found on SOMNIA_DREAM; msg ids make a resumed run's repeats harmless."""

    def __init__(self, publisher: JetStreamPublisher) -> None:
        self._publisher = publisher

    async def publish(self, event: DreamEvent, *, kind: str, found_id: str) -> None:
        await self._publisher.publish(
            event,
            subject=Subjects.dream_found(kind, event.namespace, event.run_id),
            msg_id=MsgIds.dream_found(kind, event.namespace, event.run_id, found_id),
            stream=DREAM_STREAM.name,
        )


class DreamRequestedHandler:
    def __init__(self, runner: DreamRunner, settings: DreamingSettings) -> None:
        self._runner = runner
        self._settings = settings
        self.finished = 0

    async def handle(self, message: NatsBatchMessage) -> None:
        for raw in message.raw_message:
            try:
                request = DreamRequested.model_validate_json(raw.data)
                window = DreamWindow(namespace=request.namespace, since=request.since, until=request.until)
            except ValidationError as exc:
                log.error("dropping malformed dream.requested on %s: %s", raw.subject, exc)
                await raw.term()
                continue
            try:
                state = await self._runner.run(window, request.run_id, request.jobs)
            except Exception as exc:
                log.warning("dream run %s failed, retrying later: %r", request.run_id, exc)
                await settle_failed([raw], exc, max_backoff_s=300.0, max_deliver=self._settings.max_deliver, log=log)
                continue
            self.finished += 1
            log.info("dream run %s of %s finished: %s", state.run_id, state.namespace, _summary(state.done))
            await raw.ack()


def _summary(done: dict[str, Any]) -> str:
    return "; ".join(f"{job}: {result.note}" for job, result in done.items())


def register(broker: NatsBroker, handler: DreamRequestedHandler, settings: DreamingSettings) -> Any:
    subscriber = broker.subscriber(
        Subjects.DREAM_REQUESTED_ALL,
        stream=JStream(DREAM_STREAM.name, declare=False),
        durable=settings.durable,
        pull_sub=PullSub(batch_size=1, timeout=1.0, batch=True),
        config=ConsumerConfig(ack_wait=settings.ack_wait_s, max_ack_pending=1),
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def on_requested(body: Any, message: Annotated[NatsBatchMessage, Context("message")]) -> None:
        await handler.handle(message)

    return subscriber
