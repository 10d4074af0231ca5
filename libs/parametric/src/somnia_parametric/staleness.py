"""Forgetting reaches the weights: when memories are erased, retracted, superseded or disproved, every
adapter holding one is marked stale (it stops being advertised and stops saving recall's tokens), and a
retrain without them is requested as a `promote` dream run, which the dreaming service picks up."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from somnia_contracts import DreamRequested

from somnia_parametric.registry import AdapterRecord, AdapterRegistry

log = logging.getLogger("somnia.parametric")


class EventPublisher(Protocol):
    async def publish_event(self, event: Any) -> Any: ...


class StaleAdapters:
    def __init__(
        self, registry: AdapterRegistry, publisher: EventPublisher | None, *, window_days: float = 7.0
    ) -> None:
        self._registry, self._publisher, self._window = registry, publisher, timedelta(days=window_days)

    async def memories_changed(
        self, namespace: str, memory_ids: Iterable[str], reason: str, *, retrain: bool = True
    ) -> list[AdapterRecord]:
        """Mark the adapters holding any of `memory_ids` stale; ask for a retrain of each (once: the run
        id is the adapter's, and a finished run id is not run again). Returns the adapters it changed."""
        stale = await self._registry.mark_stale(namespace, memory_ids, reason)
        for record in stale:
            log.info("adapter %s of %s is stale: %s", record.adapter_id, namespace, reason)
        if retrain:
            await self.request_retrain(namespace, stale)
        return stale

    async def request_retrain(self, namespace: str, stale: Iterable[AdapterRecord]) -> None:
        """A `promote` run for each stale adapter (erasure asks only once the memory is gone, so the
        retrain cannot read it)."""
        if self._publisher is None:
            return
        for record in stale:
            now = datetime.now(UTC)
            await self._publisher.publish_event(
                DreamRequested(
                    namespace=namespace,
                    run_id=f"retrain-{record.adapter_id}",
                    since=now - self._window,
                    until=now,
                    jobs=("promote",),
                    requested_at=now,
                )
            )

    async def namespace_erased(self, namespace: str, reason: str) -> list[AdapterRecord]:
        """Every adapter of an erased namespace goes stale. The promote run asked for finds nothing left
        to train on, and deletes the stale adapters' files and datasets from disk."""
        held = {m for r in await self._registry.adapters(namespace) for m in r.memory_ids}
        return await self.memories_changed(namespace, held, reason)
