"""Tie a child process's life to its parent's on Linux, so a killed supervisor leaves no orphans."""

from __future__ import annotations

import ctypes
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that asks the kernel to SIGTERM the child when its parent dies (None off Linux).

    The kernel means the parent *thread*: spawn from a thread that lives as long as the child should
    (a child started from a short-lived worker thread is stopped when that thread ends)."""
    if not sys.platform.startswith("linux"):
        return None
    # Loaded here, in the parent: after fork only async-signal-safe work is allowed, and dlopen is not.
    prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec
