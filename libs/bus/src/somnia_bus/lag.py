"""Report a durable consumer's backlog (pending + unacknowledged) at an interval, for dashboards and
for autoscaling on consumer lag."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from faststream.nats import NatsBroker


async def watch_consumer_lag(
    broker: NatsBroker, stream: str, durable: str, report: Callable[[int], None], interval_s: float = 10.0
) -> None:
    """Run until cancelled; a failed lookup (NATS restarting) is skipped, not fatal."""
    while True:
        with contextlib.suppress(Exception):
            info = await broker.config.connection_state.stream.consumer_info(stream, durable)
            report(int(info.num_pending or 0) + int(info.num_ack_pending or 0))
        await asyncio.sleep(interval_s)
