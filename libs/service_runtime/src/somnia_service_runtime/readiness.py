"""Readiness that tells the truth: a process answers NOT_SERVING on its readiness health service while
any of its dependencies is out of reach (NATS, a store), and SERVING again once all are back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from somnia_grpc_runtime import GrpcServer

Check = Callable[[], Awaitable[bool]]


class ReadinessWatch:
    def __init__(
        self, server: GrpcServer, checks: Mapping[str, Check], log: logging.Logger, *, interval_s: float = 1.0
    ) -> None:
        self._server, self._checks, self._log, self._interval_s = server, dict(checks), log, interval_s
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.unreachable: list[str] = []

    def watch(self, name: str, check: Check) -> None:
        """One more dependency to check (before `start()`)."""
        self._checks[name] = check

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        # The flag ends the loop even if a cancellation is lost (it once was: asyncio.wait_for in 3.11
        # drops a cancel that arrives as its inner call completes, and this stop waited forever).
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check_once(self) -> list[str]:
        """The dependencies out of reach now (a check that raises or hangs past the interval counts)."""
        down = []
        for name, check in self._checks.items():
            try:
                async with asyncio.timeout(self._interval_s):
                    ok = await check()
            except Exception:
                ok = False
            if not ok:
                down.append(name)
        return down

    async def _run(self) -> None:
        while not self._stopping.is_set():
            down = await self.check_once()
            if down != self.unreachable:
                if down:
                    self._log.warning("not ready: cannot reach %s", ", ".join(down))
                else:
                    self._log.info("ready: every dependency is reachable again")
                await self._server.set_ready(not down)
                self.unreachable = down
            await asyncio.sleep(self._interval_s)
