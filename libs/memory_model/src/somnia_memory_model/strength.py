"""A memory's strength: base-level activation (ACT-R) raised by importance and success.

Each use of a memory (its recording, then every time Recall returns it) leaves a trace whose weight
decays as a power of its age: B = ln(sum_j t_j ** -d). Power-law forgetting fits human memory (and
what an agent comes back to) better than exponential decay: old, often-used memories stay available
while a thing mentioned once fades. Only the last few use times are kept; older uses are approximated
from their count and the memory's age (Petrov 2006), which is accurate to a few percent.

strength = sigmoid(B - threshold + importance_gain x importance + success_gain x success), in (0, 1).
With the defaults (d = 0.5, threshold -1.5): a memory recorded a day ago and never used has 0.82, a
month 0.45, a year 0.19; a year old but used on each of the last five days, 0.94.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from somnia_graph_store import FeedbackCounts

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class ActivationLaw:
    decay: float = 0.5
    threshold: float = -1.5
    importance_gain: float = 1.0
    success_gain: float = 1.0
    # Ages below an hour count as an hour: a trace of age 0 would weigh infinitely.
    floor_days: float = 1.0 / 24.0

    def base_level(self, now: datetime, recorded_at: datetime, uses: int = 0, recent: Sequence[datetime] = ()) -> float:
        """B for a memory recorded at `recorded_at` and used `uses` times, the last of them at `recent`."""
        ages = sorted(self._age(now, t) for t in [recorded_at, *recent])  # youngest first
        total = sum(age**-self.decay for age in ages)
        exact = len(ages)
        older = 1 + uses - exact  # uses between the recording and the oldest kept use time
        if older > 0:
            first, last_kept = self._age(now, recorded_at), ages[-2] if len(ages) > 1 else ages[-1]
            if first > last_kept:
                total += (
                    older
                    * (first ** (1 - self.decay) - last_kept ** (1 - self.decay))
                    / ((1 - self.decay) * (first - last_kept))
                )
            else:
                total += older * first**-self.decay
        return math.log(total)

    def strength(self, base_level: float, importance: float = 0.0, success: float = 0.0) -> float:
        x = base_level - self.threshold + self.importance_gain * importance + self.success_gain * success
        return 1.0 / (1.0 + math.exp(-x))

    def _age(self, now: datetime, then: datetime) -> float:
        return max((now - then).total_seconds() / SECONDS_PER_DAY, self.floor_days)


def importance(feedback: FeedbackCounts | None) -> float:
    """-1..1 from what agents reported: helped raises, misled lowers, with a prior of one neutral vote
    so a single report moves it by half, not all the way."""
    if feedback is None:
        return 0.0
    return (feedback.helped - feedback.misled) / (feedback.helped + feedback.misled + 1)
