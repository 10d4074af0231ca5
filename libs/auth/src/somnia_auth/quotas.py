"""Token-bucket rate limits keyed by caller or namespace, in process (each replica counts its own)."""

from __future__ import annotations

import time
from collections import OrderedDict


class RateLimiter:
    """`rate` tokens a second, at most `burst` saved; `take(key)` answers 0.0 when a call may pass,
    else the seconds until one would. At most `max_keys` buckets are kept (least recently used go)."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limiter needs rate > 0 and burst >= 1")
        self.rate, self.burst = rate, float(burst)
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


def limiter(rate: float, burst: int) -> RateLimiter | None:
    return RateLimiter(rate, max(burst, 1)) if rate > 0 else None
