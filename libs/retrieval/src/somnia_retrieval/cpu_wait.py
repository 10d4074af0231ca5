"""How long this process's threads wait for a core once they are ready to run, from the kernel's
per-thread scheduler statistics (/proc/self/task/*/schedstat: time on a CPU, time waiting on a run
queue).

The cross-encoder reads a Recall answer only on spare capacity. Counting answers in flight in the
recall process was not enough: on a machine that also captures and embeds, recall at 20 a second
rarely has two answers in flight, so the model read nearly every one and took the cores the ingest
pipeline needed (docs/benchmarks.md). The wait share sees the machine from recall's side: about 0.2
while the model runs alone on two cores (its own threads and the caller take turns), 0.7 under the load
benchmark. Work that yields (the services' background linking runs at SCHED_IDLE) hardly makes recall
wait, where the machine-wide pressure stall figure (PSI) would count it too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

TASKS = Path("/proc/self/task")
# A read this long after the last says how busy the process was over all that time (a start-up that
# loaded models beside seven other services, say), not now: it only starts a new interval.
STALE_S = 2.0
# Less than this much CPU time (run + wait, ns) over an interval: the process was idle, so it waited for nothing.
IDLE_NS = 5_000_000


def thread_times(tasks: Path = TASKS) -> dict[str, tuple[int, int]]:
    """Each live thread's (ns on a CPU, ns waiting for one); a thread that ends while read is skipped."""
    times: dict[str, tuple[int, int]] = {}
    for tid in os.listdir(tasks):
        try:
            fields = (tasks / tid / "schedstat").read_text().split()
        except OSError:
            continue
        times[tid] = (int(fields[0]), int(fields[1]))
    return times


class CpuWait:
    """`share()`: of the time this process's threads were ready to run over the last `interval_s` or
    so (up to STALE_S), the share they spent waiting for a core; 0 after a longer quiet spell; None
    where the kernel keeps no such statistics (not Linux, schedstat off, or files that count nothing).
    Read at most once an interval (all threads: about 0.2 ms)."""

    def __init__(
        self,
        interval_s: float = 0.5,
        tasks: Path = TASKS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval_s = interval_s
        self._tasks = tasks
        self._clock = clock
        self._last: dict[str, tuple[int, int]] | None = self._read()
        self._at = clock()
        self._share = 0.0

    def _read(self) -> dict[str, tuple[int, int]] | None:
        try:
            times = thread_times(self._tasks)
        except (OSError, ValueError, IndexError):
            return None
        # The thread reading has run, so a kernel that keeps the statistics shows some run time: no
        # files, or only zeros (a sandboxed kernel that fakes /proc), is no figure, not "no wait".
        if not any(run for run, _ in times.values()):
            return None
        return times

    def share(self) -> float | None:
        if self._last is None:
            return None
        now = self._clock()
        if now - self._at < self._interval_s:
            return self._share
        current = self._read()
        if current is None:
            return None
        if now - self._at > STALE_S:
            # Recalls are rare: nothing recent says the cores are taken, and a model reading now and
            # then costs the machine little.
            self._last, self._at, self._share = current, now, 0.0
            return self._share
        ran = waited = 0
        for tid, (run, wait) in current.items():
            before_run, before_wait = self._last.get(tid, (0, 0))  # a thread new since the last read
            ran += max(0, run - before_run)
            waited += max(0, wait - before_wait)
        self._last, self._at = current, now
        self._share = waited / (ran + waited) if ran + waited >= IDLE_NS else 0.0
        return self._share
