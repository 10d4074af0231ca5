"""Publish an event to JetStream with a Nats-Msg-Id, and say whether it was a duplicate."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.nats import NatsBroker
from pydantic import BaseModel
from somnia_contracts import route


@dataclass(frozen=True)
class PublishReceipt:
    """The stream's answer: its sequence number, and whether the msg id was seen in the window."""

    sequence: int
    duplicate: bool


class JetStreamPublisher:
    def __init__(self, broker: NatsBroker, *, timeout_s: float = 5.0) -> None:
        self._broker = broker
        self._timeout_s = timeout_s

    async def publish_event(self, event: BaseModel) -> PublishReceipt:
        """Publish a registered event where the registry says it goes (subject, msg id, stream)."""
        where = route(event)
        return await self.publish(event, subject=where.subject, msg_id=where.msg_id, stream=where.stream)

    async def publish(self, event: BaseModel, *, subject: str, msg_id: str, stream: str) -> PublishReceipt:
        ack = await self._broker.publish(
            event.model_dump_json(),
            subject,
            headers={"Nats-Msg-Id": msg_id, "content-type": "application/json"},
            stream=stream,
            timeout=self._timeout_s,
        )
        # FastStream's TestNatsBroker has no stream and returns no PubAck.
        if ack is None:
            return PublishReceipt(sequence=0, duplicate=False)
        return PublishReceipt(sequence=int(ack.seq), duplicate=bool(ack.duplicate))
