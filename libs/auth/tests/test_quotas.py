"""The token bucket: a burst passes, then calls pass at the rate, and the wait it names is right."""

import pytest
from somnia_auth import RateLimiter


def test_a_burst_passes_then_the_rate_holds_and_keys_are_separate() -> None:
    limiter = RateLimiter(rate=10.0, burst=3)
    assert [limiter.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", now=0.0) == pytest.approx(0.1)
    assert limiter.take("b", now=0.0) == 0.0  # another caller has its own bucket
    assert limiter.take("a", now=0.1) == 0.0  # one token back after 1/rate seconds
    assert limiter.take("a", now=0.1) > 0.0


def test_buckets_are_bounded() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=100)
    for i in range(1000):
        limiter.take(f"k{i}", now=0.0)
    assert len(limiter._buckets) == 100
