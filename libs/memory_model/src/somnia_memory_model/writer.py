"""The one write path for memories that are not captured turns (negative memories, digests, insights):
into the store, into the graph as a node with its kind and what it quotes, then announced as
`memory.indexed`, so the graph service links them exactly as it links captured turns (SIMILAR_TO,
supersession checks). Captured turns take the same last step from the embedding service."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel
from somnia_contracts import MemoryIndexed
from somnia_graph_store import LinkWriter, MemoryNode
from somnia_memory_store import MemoryRecord, MemoryStore


class EventAnnouncer(Protocol):
    async def publish_event(self, event: BaseModel) -> Any:
        """Publish where the event registry says it goes (somnia_bus.JetStreamPublisher does)."""
        ...


class MemoryWriter:
    """`announcer=None` (a command-line run without NATS) writes store and graph but links nothing more."""

    def __init__(self, store: MemoryStore, graph: LinkWriter, announcer: EventAnnouncer | None) -> None:
        self._store, self._graph, self._announcer = store, graph, announcer

    async def write(self, records: Sequence[MemoryRecord], quotes: Mapping[str, tuple[str, ...]] | None = None) -> None:
        """Write `records` (idempotent: ids are stable, a rewrite updates in place); `quotes` maps a
        memory id to the memories it quotes."""
        if not records:
            return
        quoted = quotes or {}
        await self._store.upsert(records)
        # The node and its QUOTES links go in with the memory: erasing what it quotes must find it at once.
        await self._graph.upsert_memories(
            [
                MemoryNode(
                    namespace=r.namespace,
                    session_id=r.session_id,
                    turn_id=r.turn_id,
                    memory_id=r.memory_id,
                    kind=r.kind,
                    quotes=quoted.get(r.memory_id, ()),
                )
                for r in records
            ]
        )
        if self._announcer is None:
            return
        now = datetime.now(UTC)
        announcer = self._announcer
        await asyncio.gather(
            *(
                announcer.publish_event(
                    MemoryIndexed(
                        namespace=r.namespace,
                        session_id=r.session_id,
                        turn_id=r.turn_id,
                        memory_ids=(r.memory_id,),
                        kind=r.kind,  # type: ignore[arg-type]
                        quotes=quoted.get(r.memory_id, ()),
                        embedder=r.embedder,
                        dimension=int(r.vector.shape[-1]),
                        occurred_at=r.occurred_at,
                        indexed_at=now,
                    )
                )
                for r in records
            )
        )
