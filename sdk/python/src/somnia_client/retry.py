"""When a failed call is tried again: UNAVAILABLE (Somnia or its bus restarting) with exponential backoff
and full jitter, and RESOURCE_EXHAUSTED when the server's retry hint is short. Every call the SDK retries
is idempotent: turns, feedback and sessions carry ids the SDK fills in, and the server stores them once."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from somnia_client.errors import ResourceExhausted, SomniaError, Unavailable
from somnia_client.settings import ClientSettings


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    initial_s: float = 0.2
    max_s: float = 5.0
    multiplier: float = 2.0

    @classmethod
    def of(cls, settings: ClientSettings) -> RetryPolicy:
        return cls(settings.max_attempts, settings.backoff_initial_s, settings.backoff_max_s)

    def wait_s(self, error: SomniaError, attempt: int, draw: Callable[[], float] = random.random) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when the error is final."""
        if attempt >= self.max_attempts:
            return None
        if isinstance(error, ResourceExhausted):
            hint = error.retry_after_s
            return hint if hint is not None and hint <= self.max_s else None
        if isinstance(error, Unavailable):
            return draw() * min(self.max_s, self.initial_s * self.multiplier ** (attempt - 1))
        return None
