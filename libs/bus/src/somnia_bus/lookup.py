"""Read the last event on a subject straight from its stream (no consumer needed)."""

from __future__ import annotations

from typing import TypeVar

from faststream.nats import NatsBroker
from nats.js.errors import NotFoundError
from pydantic import BaseModel

Event = TypeVar("Event", bound=BaseModel)


async def last_event(broker: NatsBroker, stream: str, subject: str, model: type[Event]) -> Event | None:
    """The newest message on `subject` as `model`, or None when the stream holds none."""
    try:
        message = await broker.connection.jetstream().get_last_msg(stream, subject)
    except NotFoundError:
        return None
    if message.data is None:
        return None
    return model.model_validate_json(message.data)
