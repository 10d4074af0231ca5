"""Index captured turns: chunk, embed in one batch, write durably, describe what was written."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from somnia_contracts import MemoryIndexed, TurnCaptured
from somnia_memory_store import MemoryRecord

from somnia_embedding.chunking import chunk_words, memory_text
from somnia_embedding.ports import Embedder, MemoryStore

MEMORY_ID_NAMESPACE = uuid.UUID("6f1c1d0e-8b0a-4c55-9a38-5d7f0c2b9e11")


def memory_id(turn: TurnCaptured, chunk_index: int) -> str:
    """Deterministic, so a redelivered turn overwrites nothing and duplicates nothing."""
    key = f"{turn.namespace}/{turn.session_id}/{turn.turn_id}#{chunk_index}"
    return "m-" + uuid.uuid5(MEMORY_ID_NAMESPACE, key).hex


@dataclass(frozen=True)
class IndexTimings:
    """Wall-clock bounds of the batch's phases (ns since epoch), for per-turn trace spans."""

    embed_start: int
    embed_end: int
    store_start: int
    store_end: int


@dataclass(frozen=True)
class IndexResult:
    events: list[MemoryIndexed]
    timings: IndexTimings


class IndexingService:
    def __init__(
        self,
        embedder: Embedder,
        store: MemoryStore,
        *,
        chunk_words: int = 180,
        chunk_overlap_words: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._embedder = embedder
        self._store = store
        self._chunk_words = chunk_words
        self._overlap = chunk_overlap_words
        self._clock = clock

    async def index(self, turns: Sequence[TurnCaptured]) -> IndexResult:
        """Embed and store every turn; when this returns, all of it is durable."""
        plan: list[tuple[TurnCaptured, int, str]] = []
        for turn in turns:
            text = memory_text(turn)
            for i, chunk in enumerate(chunk_words(text, max_words=self._chunk_words, overlap=self._overlap)):
                plan.append((turn, i, chunk))
        embed_start = time.time_ns()
        vectors = await self._embedder.embed([chunk for _, _, chunk in plan])
        embed_end = store_start = time.time_ns()
        now = self._clock()
        records = [
            MemoryRecord(
                memory_id=memory_id(turn, i),
                namespace=turn.namespace,
                text=chunk,
                session_id=turn.session_id,
                turn_id=turn.turn_id,
                role=turn.role,
                chunk_index=i,
                occurred_at=turn.occurred_at,
                recorded_at=now,
                embedder=self._embedder.name,
                vector=vectors[n],
            )
            for n, (turn, i, chunk) in enumerate(plan)
        ]
        await self._store.upsert(records)
        store_end = time.time_ns()
        ids: dict[int, list[str]] = {}
        for record, (turn, _, _) in zip(records, plan, strict=True):
            ids.setdefault(id(turn), []).append(record.memory_id)
        events = [
            MemoryIndexed(
                namespace=turn.namespace,
                session_id=turn.session_id,
                turn_id=turn.turn_id,
                memory_ids=tuple(ids[id(turn)]),
                embedder=self._embedder.name,
                dimension=self._embedder.dimension,
                occurred_at=turn.occurred_at,
                indexed_at=now,
            )
            for turn in turns
        ]
        return IndexResult(
            events=events, timings=IndexTimings(embed_start, embed_end, store_start, store_end)
        )
