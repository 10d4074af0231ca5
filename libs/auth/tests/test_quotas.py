"""The token bucket: a burst passes, then calls pass at the rate, and the wait it names is right; storage
caps by namespace pattern."""

import pytest
from somnia_auth import InvalidGrant, RateLimiter, StorageQuotas


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


def test_the_most_specific_storage_pattern_wins_and_zero_means_no_cap() -> None:
    quotas = StorageQuotas.of(1000, {"*": 50, "acme/*": 200, "acme/support-bot/*": 0, "acme/*/alice": 7})
    assert quotas.cap_for("acme/support-bot/alice") == 0  # no `*` before the tail beats one in the middle
    assert quotas.cap_for("acme/other/alice") == 7
    assert quotas.cap_for("acme/other/bob") == 200
    assert quotas.cap_for("zeta/x/y") == 50
    assert StorageQuotas.of(1000, {}).cap_for("zeta/x/y") == 1000
    assert not StorageQuotas.of(0, {"acme/*": 0}).enabled
    assert StorageQuotas.of(0, {"acme/*": 5}).enabled


def test_a_bad_storage_pattern_or_cap_says_what_to_fix() -> None:
    with pytest.raises(InvalidGrant, match=r"end it with '/\*'"):
        StorageQuotas.of(0, {"acme": 5})
    with pytest.raises(InvalidGrant, match="use 0 \\(no cap\\) or more"):
        StorageQuotas.of(0, {"acme/*": -1})
