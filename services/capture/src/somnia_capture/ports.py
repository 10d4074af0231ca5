"""What the capture service needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel
from somnia_bus import PublishReceipt


class EventPublisher(Protocol):
    async def publish(self, event: BaseModel, *, subject: str, msg_id: str, stream: str) -> PublishReceipt: ...
