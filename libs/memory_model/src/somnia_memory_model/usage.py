"""Measure how many memories a namespace holds (hot and archived) and post the figure to the usage
board, at most once per `interval_s` per namespace, so a busy namespace costs one count a second. A write
inside the interval gets a trailing report at its end, so the last figure posted is never stale."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from somnia_contracts import NamespaceUsage, archive_namespace

log = logging.getLogger("somnia.usage")


class CountingStore(Protocol):
    async def count(self, namespace: str) -> int: ...


class UsageBoardWriter(Protocol):
    async def put(self, usage: NamespaceUsage) -> None: ...


class UsageReporter:
    def __init__(
        self,
        store: CountingStore,
        board: UsageBoardWriter,
        *,
        interval_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store, self._board = store, board
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._last: dict[str, float] = {}
        self._trailing: dict[str, asyncio.Task[None]] = {}

    async def measure(self, namespace: str) -> NamespaceUsage:
        memories = await self._store.count(namespace) + await self._store.count(archive_namespace(namespace))
        usage = NamespaceUsage(namespace=namespace, memories=memories, measured_at=datetime.now(UTC))
        await self._board.put(usage)
        self._last[namespace] = self._monotonic()
        return usage

    async def after_write(self, namespaces: Iterable[str], *, at_once: bool = False) -> None:
        """Report the namespaces a write touched now, or at the end of the interval when one was reported
        within it (`at_once` skips the wait: an erasure frees space a blocked writer waits for). Never
        raises: a missed report only delays quota enforcement, while failing would redeliver a batch that
        is already stored."""
        now = self._monotonic()
        for namespace in set(namespaces):
            if at_once and (pending := self._trailing.pop(namespace, None)):
                pending.cancel()
            if namespace in self._trailing:
                continue
            wait = self._last.get(namespace, float("-inf")) + self._interval_s - now
            if at_once or wait <= 0:
                await self._report(namespace)
            else:
                self._trailing[namespace] = asyncio.create_task(self._report_later(namespace, wait))

    async def aclose(self) -> None:
        """Drop trailing reports (the next write measures again)."""
        for task in self._trailing.values():
            task.cancel()
        await asyncio.gather(*self._trailing.values(), return_exceptions=True)
        self._trailing.clear()

    async def _report_later(self, namespace: str, wait_s: float) -> None:
        try:
            await asyncio.sleep(wait_s)
            await self._report(namespace)
        finally:
            # Only its own entry: a cancelled report may finish after a newer one was scheduled.
            if self._trailing.get(namespace) is asyncio.current_task():
                del self._trailing[namespace]

    async def _report(self, namespace: str) -> None:
        try:
            await self.measure(namespace)
        except Exception as exc:
            log.warning("could not report the usage of a namespace: %r", exc)
