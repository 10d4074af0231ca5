"""The top items Recall returns have been used: publish `memory.recalled` (one event per session of the
answer) so the graph counts the use, a trace of the memory's base-level activation. Only the top
USED_TOP, which an agent reads: counting everything returned lets memories that ride along in many
answers outrank better ones. Published after
the answer, in the background: a recall never waits for it, and a failure costs a trace, not an answer."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from somnia_bus import JetStreamPublisher
from somnia_contracts import MemoryRecalled
from somnia_memory_store import MemoryRecord

log = logging.getLogger("somnia.recall")
USED_TOP = 3
# A use is not worth waiting for: with NATS down, a publish would wait for a reconnect.
PUBLISH_S = 2.0


class UseRecorder:
    def __init__(self, publisher: JetStreamPublisher) -> None:
        self._publisher = publisher
        self._pending: set[asyncio.Task[None]] = set()

    def used(self, namespace: str, records: Sequence[MemoryRecord]) -> None:
        if not records:
            return
        task = asyncio.create_task(self._publish(namespace, records[:USED_TOP]))
        self._pending.add(task)  # a reference, so the task is not collected before it runs
        task.add_done_callback(self._pending.discard)

    async def _publish(self, namespace: str, records: Sequence[MemoryRecord]) -> None:
        recall_id, now = uuid.uuid4().hex, datetime.now(UTC)
        by_session: dict[str, list[str]] = {}
        for r in records:
            by_session.setdefault(r.session_id, []).append(r.memory_id)
        for session_id, memory_ids in by_session.items():
            try:
                await asyncio.wait_for(self._publish_one(namespace, session_id, recall_id, memory_ids, now), PUBLISH_S)
            except Exception as exc:  # NATS down or slow: the answer went out; only this trace is lost
                log.warning("could not record a recall's uses (%r); their strength misses one trace", exc)

    async def _publish_one(
        self, namespace: str, session_id: str, recall_id: str, memory_ids: list[str], now: datetime
    ) -> None:
        await self._publisher.publish_event(
            MemoryRecalled(
                namespace=namespace,
                session_id=session_id,
                recall_id=recall_id,
                memory_ids=tuple(memory_ids),
                recalled_at=now,
            ),
        )

    async def drain(self, timeout_s: float = PUBLISH_S) -> None:
        """At shutdown: wait a little for what is being published, then give it up."""
        if not self._pending:
            return
        _, late = await asyncio.wait(set(self._pending), timeout=timeout_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
