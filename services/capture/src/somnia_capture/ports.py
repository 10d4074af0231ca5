"""What the capture service needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel
from somnia_bus import PublishReceipt
from somnia_contracts import NamespaceUsage


class EventPublisher(Protocol):
    async def publish_event(self, event: BaseModel) -> PublishReceipt:
        """Publish where the event registry says it goes (subject, msg id, stream)."""
        ...


class UsageReader(Protocol):
    async def read(self, namespace: str) -> NamespaceUsage | None:
        """The namespace's last measured memory count, or None when nobody measured it yet."""
        ...
