"""Token-bucket rate limits keyed by caller or namespace, in process (each replica counts its own), and
the storage caps per namespace pattern."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from somnia_auth.grants import InvalidGrant, check_pattern, pattern_matches


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


@dataclass(frozen=True)
class StorageQuotas:
    """How many memories a namespace may hold: `default` (0 is no cap), or the cap of the most specific
    pattern in `by_pattern` that matches (fewest `*` parts first, then the longest)."""

    default: int = 0
    by_pattern: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, default: int, by_pattern: Mapping[str, int]) -> StorageQuotas:
        for pattern, cap in by_pattern.items():
            check_pattern(pattern)
            if cap < 0:
                raise InvalidGrant(f"storage quota for {pattern!r} is {cap}; use 0 (no cap) or more")
        ordered = sorted(by_pattern.items(), key=lambda item: (item[0].split("/").count("*"), -len(item[0])))
        return cls(default, tuple(ordered))

    def cap_for(self, namespace: str) -> int:
        for pattern, cap in self.by_pattern:
            if pattern_matches(pattern, namespace):
                return cap
        return self.default

    @property
    def enabled(self) -> bool:
        return self.default > 0 or any(cap > 0 for _, cap in self.by_pattern)
