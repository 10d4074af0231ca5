"""Storage quotas at the door: a namespace at its memory cap gets RESOURCE_EXHAUSTED before anything is
published. The figure comes from the usage board (what the writers last counted, refreshed at most every
`refresh_s`) plus the turns this process accepted since, so the cap is soft: it can be overshot by
about one refresh interval of the namespace's traffic per capture replica, never by more."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from somnia_auth import QuotaExceeded, StorageQuotas

from somnia_capture.ports import UsageReader

log = logging.getLogger("somnia.capture")
# Storage does not free itself: a client should come back after someone forgets, not spin.
RETRY_AFTER_S = 60.0


class StorageGate:
    def __init__(
        self,
        quotas: StorageQuotas,
        usage: UsageReader,
        *,
        refresh_s: float = 1.0,
        max_namespaces: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._quotas, self._usage = quotas, usage
        self._refresh_s, self._max_namespaces = refresh_s, max_namespaces
        self._monotonic = monotonic
        # namespace -> (memories measured, turns accepted here since, when measured here)
        self._seen: OrderedDict[str, tuple[int, int, float]] = OrderedDict()

    async def admit(self, namespace: str, turns: int) -> None:
        """Count `turns` against the namespace's cap, or raise QuotaExceeded without counting them."""
        cap = self._quotas.cap_for(namespace)
        if cap <= 0:
            return
        measured, accepted = await self._current(namespace)
        if measured + accepted + turns > cap:
            raise QuotaExceeded(
                f"namespace {namespace!r} holds about {measured + accepted:,} memories and its storage quota is "
                f"{cap:,}; {turns} more would pass it. Forget what it no longer needs (somnia forget) or ask "
                "the operator to raise SOMNIA_CAPTURE_MAX_MEMORIES_PER_NAMESPACE / SOMNIA_CAPTURE_STORAGE_QUOTAS",
                RETRY_AFTER_S,
            )
        m, a, at = self._seen[namespace]
        self._seen[namespace] = (m, a + turns, at)

    async def _current(self, namespace: str) -> tuple[int, int]:
        now = self._monotonic()
        seen = self._seen.get(namespace)
        if seen is None or now - seen[2] >= self._refresh_s:
            try:
                usage = await self._usage.read(namespace)
            except Exception as exc:
                log.warning("could not read the usage board, admitting: %r", exc)
                usage = None
            # The writers' count misses turns still in the pipeline: that lag is what makes the cap soft.
            seen = (usage.memories if usage else 0, 0, now)
        self._seen[namespace] = seen
        self._seen.move_to_end(namespace)
        if len(self._seen) > self._max_namespaces:
            self._seen.popitem(last=False)
        return seen[0], seen[1]
