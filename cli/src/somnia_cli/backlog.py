"""Each durable consumer's backlog, read from JetStream: what `somnia status` shows so that an operator sees
work waiting (a consumer that is down, or slower than what arrives)."""

from __future__ import annotations

import nats
from somnia_contracts import EVENT_KINDS


async def consumer_backlogs(url: str, timeout_s: float = 2.0) -> list[tuple[str, str, int, int]]:
    """(stream, consumer, pending, unacknowledged) for every consumer of Somnia's streams."""
    client = await nats.connect(url, connect_timeout=timeout_s, max_reconnect_attempts=0)
    try:
        js = client.jetstream(timeout=timeout_s)
        found = []
        for stream in sorted({kind.stream.name for kind in EVENT_KINDS}):
            try:
                consumers = await js.consumers_info(stream)
            except nats.js.errors.NotFoundError:  # a stream nobody has declared yet holds no backlog
                continue
            for info in consumers:
                found.append((stream, info.name, int(info.num_pending or 0), int(info.num_ack_pending or 0)))
        return sorted(found)
    finally:
        await client.close()
