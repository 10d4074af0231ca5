"""What is tried again: UNAVAILABLE with growing, jittered waits up to the attempt limit; RESOURCE_EXHAUSTED
only when the server's hint is short; everything else never."""

import grpc
from somnia_client import InvalidArgument, ResourceExhausted, RetryPolicy, Unavailable


def test_unavailable_backs_off_and_stops_at_the_limit() -> None:
    policy = RetryPolicy(max_attempts=4, initial_s=0.2, max_s=1.0)
    down = Unavailable(grpc.StatusCode.UNAVAILABLE, "connection refused")
    waits = [policy.wait_s(down, attempt, draw=lambda: 1.0) for attempt in range(1, 5)]
    assert waits == [0.2, 0.4, 0.8, None]
    assert RetryPolicy(max_attempts=9, initial_s=0.2, max_s=1.0).wait_s(down, 8, draw=lambda: 1.0) == 1.0
    assert policy.wait_s(down, 1, draw=lambda: 0.5) == 0.1  # full jitter


def test_quota_waits_only_for_a_short_hint_and_bad_input_never() -> None:
    policy = RetryPolicy(max_s=5.0)
    assert policy.wait_s(ResourceExhausted(grpc.StatusCode.RESOURCE_EXHAUSTED, "rate", retry_after_s=0.3), 1) == 0.3
    storage = ResourceExhausted(grpc.StatusCode.RESOURCE_EXHAUSTED, "storage quota", retry_after_s=60.0)
    assert policy.wait_s(storage, 1) is None
    assert policy.wait_s(ResourceExhausted(grpc.StatusCode.RESOURCE_EXHAUSTED, "x"), 1) is None
    assert policy.wait_s(InvalidArgument(grpc.StatusCode.INVALID_ARGUMENT, "bad"), 1) is None
