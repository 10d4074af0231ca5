"""The share of their ready time a process's threads waited for a core, read from schedstat files: a
directory laid out like /proc/self/task stands in for the kernel's, and this process's own is read too."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from somnia_retrieval.cpu_wait import CpuWait


class Tasks:
    """A stand-in /proc/self/task: thread id -> schedstat line."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def set(self, tid: str, run_ns: int, wait_ns: int) -> None:
        (self.root / tid).mkdir(exist_ok=True)
        (self.root / tid / "schedstat").write_text(f"{run_ns} {wait_ns} 7\n")

    def end(self, tid: str) -> None:
        (self.root / tid / "schedstat").unlink()
        (self.root / tid).rmdir()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


MS = 1_000_000


def test_the_share_is_the_wait_over_run_and_wait_since_the_last_read(tmp_path: Path) -> None:
    tasks, clock = Tasks(tmp_path), Clock()
    tasks.set("1", 100 * MS, 10 * MS)
    tasks.set("2", 50 * MS, 0)
    wait = CpuWait(interval_s=0.5, tasks=tmp_path, clock=clock)
    assert wait.share() == 0.0  # nothing measured yet
    tasks.set("1", 130 * MS, 40 * MS)  # +30 run, +30 wait
    tasks.set("2", 70 * MS, 20 * MS)  # +20 run, +20 wait
    clock.now += 0.2
    assert wait.share() == 0.0  # within the interval: the last figure, no read
    clock.now += 0.4
    assert wait.share() == pytest.approx(50 / 100)


def test_threads_that_start_or_end_between_reads_count_only_for_what_they_did(tmp_path: Path) -> None:
    tasks, clock = Tasks(tmp_path), Clock()
    tasks.set("1", 100 * MS, 0)
    tasks.set("2", 900 * MS, 900 * MS)
    wait = CpuWait(interval_s=0.5, tasks=tmp_path, clock=clock)
    tasks.end("2")  # its history must not turn into a negative delta
    tasks.set("1", 120 * MS, 0)
    tasks.set("3", 10 * MS, 30 * MS)  # new: all of it since the last read
    clock.now += 1.0
    assert wait.share() == pytest.approx(30 / 60)


def test_a_read_long_after_the_last_starts_a_new_interval(tmp_path: Path) -> None:
    tasks, clock = Tasks(tmp_path), Clock()
    tasks.set("1", 100 * MS, 0)
    wait = CpuWait(interval_s=0.5, tasks=tmp_path, clock=clock)
    tasks.set("1", 200 * MS, 900 * MS)  # a busy start-up, long ago
    clock.now += 30.0
    assert wait.share() == 0.0
    tasks.set("1", 210 * MS, 910 * MS)  # the last second: as much waiting as running
    clock.now += 1.0
    assert wait.share() == pytest.approx(0.5)


def test_an_idle_process_waited_for_nothing(tmp_path: Path) -> None:
    tasks, clock = Tasks(tmp_path), Clock()
    tasks.set("1", 100 * MS, 0)
    wait = CpuWait(interval_s=0.5, tasks=tmp_path, clock=clock)
    tasks.set("1", 101 * MS, 2 * MS)  # 3 ms of activity: too little to say anything
    clock.now += 1.0
    assert wait.share() == 0.0


def test_no_statistics_means_no_figure(tmp_path: Path) -> None:
    assert CpuWait(tasks=tmp_path / "absent").share() is None


def test_statistics_that_count_nothing_are_no_figure(tmp_path: Path) -> None:
    tasks, clock = Tasks(tmp_path), Clock()
    assert CpuWait(tasks=tmp_path, clock=clock).share() is None  # threads listed, no schedstat files
    tasks.set("1", 0, 0)
    tasks.set("2", 0, 0)  # a kernel that fakes the files with zeros
    wait = CpuWait(interval_s=0.5, tasks=tmp_path, clock=clock)
    clock.now += 1.0
    assert wait.share() is None


def cores() -> int:
    """The cores this process may run on (a CI machine can list more than it grants)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="schedstat is Linux's")
def test_this_process_busy_on_more_threads_than_cores_waits_for_them() -> None:
    if CpuWait().share() is None:
        pytest.skip("this kernel keeps no per-thread scheduler statistics (the figure is None, covered above)")
    # A frozen clock: every call reads, and a slow start on a loaded machine cannot look like a stale interval.
    wait = CpuWait(interval_s=0.0, clock=lambda: 0.0)
    done = threading.Event()
    data = b"x" * (8 << 20)

    def spin() -> None:  # hashing a large buffer releases the GIL: the threads really run at once
        while not done.is_set():
            hashlib.sha256(data).digest()

    # Three threads a core: each waits about two thirds of its ready time. Read while they still run: a
    # thread that has ended leaves /proc/self/task, and what it waited with it.
    threads = [threading.Thread(target=spin) for _ in range(3 * cores())]
    for t in threads:
        t.start()
    try:
        time.sleep(0.6)
        share = wait.share()
    finally:
        done.set()
        for t in threads:
            t.join()
    assert share is not None and 0.3 < share <= 1.0
