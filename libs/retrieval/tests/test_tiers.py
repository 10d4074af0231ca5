"""Merging the hot index's answer with the archive's: the hot answer stands unless the archive holds
something closer to the query than anything hot."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from somnia_memory_store import MemoryRecord
from somnia_retrieval import RankedMemory
from somnia_retrieval.tiers import merge_tiers

T0 = datetime(2026, 1, 1, tzinfo=UTC)
QUERY = np.asarray([1.0, 0.0], dtype=np.float32)


def ranked(memory_id: str, score: float, vector: list[float]) -> RankedMemory:
    record = MemoryRecord(
        memory_id=memory_id,
        namespace="a/b/c",
        text=memory_id,
        session_id="s",
        turn_id=memory_id,
        role="user",
        occurred_at=T0,
        recorded_at=T0,
        embedder="e",
        vector=np.asarray(vector, dtype=np.float32),
    )
    return RankedMemory(record=record, score=score, relevance=score, recency=0, importance=0, hit=None, paths=())


def test_the_hot_answer_stands_when_the_archive_matches_no_better() -> None:
    hot = [ranked("h1", 1.0, [0.9, 0.436]), ranked("h2", 0.8, [0.8, 0.6])]
    cold = [ranked("c1", 1.0, [0.85, 0.53]), ranked("c2", 0.5, [0.1, 0.99])]  # scores 1.0, but farther off
    assert [m.record.memory_id for m in merge_tiers(QUERY, hot, cold, 3)] == ["h1", "h2"]


def test_an_archived_memory_closer_than_anything_hot_comes_first() -> None:
    hot = [ranked("h1", 1.0, [0.5, 0.866]), ranked("h2", 0.9, [0.4, 0.917])]
    cold = [ranked("c1", 0.2, [0.99, 0.14]), ranked("c2", 1.0, [0.3, 0.95])]
    assert [m.record.memory_id for m in merge_tiers(QUERY, hot, cold, 2)] == ["c1", "h1"]
    assert [m.record.memory_id for m in merge_tiers(QUERY, [], cold, 5)] == ["c1", "c2"]
