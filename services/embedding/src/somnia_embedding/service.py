"""Index captured turns: chunk, embed in one batch, write durably, describe what was written."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from somnia_contracts import MemoryIndexed, TurnCaptured, memory_id_for
from somnia_memory_store import MemoryRecord

from somnia_embedding.chunking import chunk_words, memory_text
from somnia_embedding.ports import Embedder, EmbedderError, MemoryStore


def memory_id(turn: TurnCaptured, chunk_index: int) -> str:
    """Deterministic, so a redelivered turn overwrites nothing and duplicates nothing."""
    return memory_id_for(turn.namespace, turn.session_id, turn.turn_id, chunk_index)


@dataclass(frozen=True)
class IndexTimings:
    """Wall-clock bounds of the batch's phases (ns since epoch), for per-turn trace spans."""

    embed_start: int
    embed_end: int
    store_start: int
    store_end: int


@dataclass(frozen=True)
class PreparedBatch:
    """Turns chunked and embedded, not yet written."""

    turns: list[TurnCaptured]
    records: list[MemoryRecord]
    embed_start: int
    embed_end: int


@dataclass(frozen=True)
class IndexResult:
    events: list[MemoryIndexed]
    timings: IndexTimings


class IndexingService:
    """`prepare` (chunk + embed, CPU-bound) and `commit` (durable write) are separate so a consumer can
    embed the next batch while the previous one is being written and announced."""

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

    async def prepare(self, turns: Sequence[TurnCaptured]) -> PreparedBatch:
        plan: list[tuple[TurnCaptured, int, str]] = []
        for turn in turns:
            text = memory_text(turn)
            for i, chunk in enumerate(chunk_words(text, max_words=self._chunk_words, overlap=self._overlap)):
                plan.append((turn, i, chunk))
        embed_start = time.time_ns()
        model = self._embedder.name
        vectors = await self._embedder.embed([chunk for _, _, chunk in plan])
        embed_end = time.time_ns()
        if self._embedder.name != model:
            # The store was reindexed while this batch was embedded: which model made these vectors is
            # not certain, so none is written; the batch is redelivered and embedded again.
            raise EmbedderError(f"the store moved from {model} to {self._embedder.name} during this batch")
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
                embedder=model,
                vector=vectors[n],
            )
            for n, (turn, i, chunk) in enumerate(plan)
        ]
        return PreparedBatch(list(turns), records, embed_start, embed_end)

    async def commit(self, batch: PreparedBatch, *, retry: bool = False) -> IndexResult:
        """Write the batch; when this returns, all of it is durable. `retry`: some of it was delivered
        before, so an earlier attempt may have left records half written: they are written anew."""
        store_start = time.time_ns()
        await self._store.upsert(batch.records, rewrite=retry)
        store_end = time.time_ns()
        ids: dict[tuple[str, str, str], list[str]] = {}
        for record in batch.records:
            ids.setdefault((record.namespace, record.session_id, record.turn_id), []).append(record.memory_id)
        indexed_at = batch.records[0].recorded_at if batch.records else self._clock()
        events = [
            MemoryIndexed(
                namespace=turn.namespace,
                session_id=turn.session_id,
                turn_id=turn.turn_id,
                memory_ids=tuple(dict.fromkeys(ids[(turn.namespace, turn.session_id, turn.turn_id)])),
                embedder=self._embedder.name,
                dimension=self._embedder.dimension,
                occurred_at=turn.occurred_at,
                indexed_at=indexed_at,
            )
            for turn in batch.turns
        ]
        timings = IndexTimings(batch.embed_start, batch.embed_end, store_start, store_end)
        return IndexResult(events=events, timings=timings)
