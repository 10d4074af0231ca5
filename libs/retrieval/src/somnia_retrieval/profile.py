"""A namespace's profile: the memories that say most about its people and work, whatever a session opens
with. The warm pack's searches only see what is near the opening; what a later session reaches back to
is spread over the whole history (who someone is, what they did and plan), so the pack also draws on the
most salient memories of the namespace as a whole.

Reading a namespace costs a scan, so the profile is kept per namespace and read again in the background
once it is `ttl_s` old (the build that finds it stale uses it as it is; only a namespace's first build
waits). Between scans it learns from what each build reads anyway (`observe`: the last sessions, what
is near the opening), so a session that ended a minute ago is in the next pack's profile. A namespace
larger than `scan_limit` is profiled from that many memories (in id order, an even sample of it).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time

from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, scan_all

from somnia_retrieval.pack_pool import salience_of

log = logging.getLogger("somnia.retrieval")
EPISODIC = SearchFilter(kinds=("episodic",))
# A profile unused for this many TTLs is dropped; at most this many namespaces are held per process.
IDLE_TTLS = 10
MIN_IDLE_S = 600.0
MAX_NAMESPACES = 1000


class Profiles:
    def __init__(self, store: MemoryStore, *, ttl_s: float = 60.0, scan_limit: int = 20_000, keep: int = 300) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._scan_limit = scan_limit
        self._keep = keep
        self._held: dict[str, tuple[float, list[MemoryRecord]]] = {}
        self._reading: dict[str, asyncio.Task[list[MemoryRecord]]] = {}

    async def of(self, namespace: str) -> list[MemoryRecord]:
        """The namespace's `keep` most salient memories, most salient first."""
        self._evict()
        held = self._held.get(namespace)
        if held is not None:
            if time.monotonic() - held[0] >= self._ttl_s:
                self._refresh(namespace)  # served stale this once; the next build gets the new one
            return held[1]
        # Shielded: the read is shared by every build of the namespace, and one caller's deadline
        # must not cancel it for the others.
        return await asyncio.shield(self._refresh(namespace))

    def _evict(self) -> None:
        """Namespaces not built for a while, and the oldest beyond MAX_NAMESPACES, are dropped: memory
        text is held no longer than it is useful."""
        now = time.monotonic()
        idle_s = max(IDLE_TTLS * self._ttl_s, MIN_IDLE_S)
        for namespace in [n for n, (at, _) in self._held.items() if now - at > idle_s]:
            del self._held[namespace]
        while len(self._held) > MAX_NAMESPACES:
            del self._held[min(self._held, key=lambda n: self._held[n][0])]

    def observe(self, namespace: str, current: list[MemoryRecord], seen: list[MemoryRecord]) -> None:
        """After a build: `current` is the held profile as the store has it now (what was deleted is
        gone), `seen` what the build read besides; the most salient of both are held from now on."""
        held = self._held.get(namespace)
        if held is None:
            return
        merged = {r.memory_id: r for r in current}
        for r in seen:
            if r.kind == "episodic":
                merged.setdefault(r.memory_id, r)
        best = heapq.nlargest(self._keep, merged.values(), key=lambda r: (salience_of(r), r.memory_id))
        self._held[namespace] = (held[0], best)

    def forget(self, namespace: str) -> None:
        """Drop what is held (something in the namespace was erased): the next build reads it again."""
        self._held.pop(namespace, None)

    def _refresh(self, namespace: str) -> asyncio.Task[list[MemoryRecord]]:
        task = self._reading.get(namespace)
        if task is None:
            task = self._reading[namespace] = asyncio.create_task(self._read(namespace))
            task.add_done_callback(lambda _: self._reading.pop(namespace, None))
        return task

    async def _read(self, namespace: str) -> list[MemoryRecord]:
        try:
            scored = [
                (salience_of(r), r.memory_id, r)
                async for r in scan_all(self._store, namespace, EPISODIC, limit=self._scan_limit)
            ]
        except Exception:
            # The pack is built without the profile this time; its own searches still run.
            log.warning("could not read the profile of %s", namespace, exc_info=True)
            return self._held.get(namespace, (0.0, []))[1]
        best = [r for _, _, r in heapq.nlargest(self._keep, scored, key=lambda s: (s[0], s[1]))]
        self._held[namespace] = (time.monotonic(), best)
        return best
