"""What a consumer does with messages it failed to handle: retry later with a growing delay, and give
up loudly (terminate) after too many attempts, so one poisoned message cannot stall a stream."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any


def backoff_s(num_delivered: int, cap_s: float) -> float:
    """0.25 s, 0.5 s, 1 s, ... up to cap_s, by delivery attempt."""
    return float(min(cap_s, 0.25 * 2 ** max(0, num_delivered - 1)))


def num_delivered(raw: Any) -> int:
    """How many times JetStream has delivered this message (1 on the first delivery)."""
    try:
        return max(1, int(raw.metadata.num_delivered))
    except Exception:
        return 1


async def settle_failed(
    raws: Iterable[Any], error: BaseException, *, max_backoff_s: float, max_deliver: int, log: logging.Logger
) -> None:
    """Nack each message with its own delay, or terminate it once it has had max_deliver attempts."""
    for raw in raws:
        attempt = num_delivered(raw)
        with contextlib.suppress(Exception):  # a broken connection means redelivery anyway
            if attempt >= max_deliver:
                log.error("giving up on %s after %d attempts: %r", raw.subject, attempt, error)
                await raw.term()
            else:
                await raw.nak(delay=backoff_s(attempt, max_backoff_s))
