"""Erase what a speaker took back, when the deployment asks for it (SOMNIA_RECALL_ERASE_WITHDRAWN).

The graph service announces each statement that took memories back (`memory.withdrawn`); by default
Recall only leaves those memories out of default answers. With erasure on, this durable consumer runs
each one through the Forget path (store, graph, warm packs, streams, insights, audit event), as if the
user had called Forget: "don't keep that" then means gone, not hidden. Erasure is idempotent, so a
redelivered announcement, or a memory already forgotten, changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from opentelemetry.trace import Tracer
from somnia_bus import BatchConsumer, ConsumerSpec, Delivery, DeliveryOpener, Retry
from somnia_contracts import MEMORY_STREAM, MemoryWithdrawn, Subjects, parse_event
from somnia_erasure import Eraser, NothingToForget
from somnia_telemetry import attributes

log = logging.getLogger("somnia.recall.withdrawn")
REQUESTED_BY = "recall: taken back in conversation"


def withdrawn_consumer(durable: str) -> ConsumerSpec:
    return ConsumerSpec(
        stream=MEMORY_STREAM,
        subject=Subjects.MEMORY_WITHDRAWN_ALL,
        durable=durable,
        batch_size=16,
        batch_wait_s=0.5,
        ack_wait_s=60.0,  # an erasure rewrites insights and scrubs stores: give it time before redelivery
        max_ack_pending=64,
    )


class WithdrawnEraser:
    """Forgets every memory of each announcement; `eraser` is read when a message arrives (Recall opens
    its eraser after the consumer is bound)."""

    def __init__(self, eraser: Callable[[], Eraser | None], tracer: Tracer) -> None:
        self._eraser = eraser
        self.consumer = BatchConsumer(
            DeliveryOpener(
                lambda body: cast(MemoryWithdrawn, parse_event(body)),
                tracer,
                "recall.erase_withdrawn",
                lambda e: {attributes.NAMESPACE: e.namespace, attributes.SESSION_ID: e.session_id},
                log,
            ),
            self._erase,
            Retry(max_backoff_s=60.0, max_deliver=20),
            log,
            per_message=True,
        )

    async def _erase(self, batch: list[Delivery[MemoryWithdrawn]]) -> None:
        eraser = self._eraser()
        if eraser is None:
            raise RuntimeError("erasure is not open yet (NATS or the graph is not connected)")
        for delivery in batch:
            event = delivery.event
            if not isinstance(event, MemoryWithdrawn):
                continue  # another kind on the subject cannot happen; never erase on a misread
            reason = (
                "its speaker asked not to keep it" if event.status == "deleted_by_user" else "its speaker took it back"
            )
            for memory_id in event.memory_ids:
                try:
                    await eraser.forget(event.namespace, "memory", memory_id, reason, requested_by=REQUESTED_BY)
                except NothingToForget:
                    log.info("memory %s of %s was already gone", memory_id, event.namespace)
