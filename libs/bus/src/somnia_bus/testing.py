"""For tests: put turns straight on the session stream, as capture would (same subjects and msg ids)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from somnia_contracts import SESSION_STREAM, TurnCaptured

from somnia_bus.broker import close_broker, create_broker
from somnia_bus.publisher import JetStreamPublisher
from somnia_bus.streams import ensure_streams


async def publish_turns(url: str, events: Sequence[TurnCaptured], *, concurrency: int = 200) -> None:
    """Publish in order, `concurrency` at a time, on a connection of its own."""
    broker = create_broker(url, name="test-publisher")
    await broker.connect()
    await ensure_streams(broker, SESSION_STREAM)
    publisher = JetStreamPublisher(broker)
    for start in range(0, len(events), concurrency):
        await asyncio.gather(*(publisher.publish_event(e) for e in events[start : start + concurrency]))
    await close_broker(broker)
