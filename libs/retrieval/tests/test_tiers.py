"""Merging the hot index's answer with the archive's: one scale, set by how well each tier matches."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from somnia_memory_store import MemoryRecord
from somnia_retrieval import RankedMemory
from somnia_retrieval.tiers import merge_tiers

T0 = datetime(2026, 1, 1, tzinfo=UTC)


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


def test_a_tier_that_matches_weakly_counts_for_less() -> None:
    query = np.asarray([1.0, 0.0], dtype=np.float32)
    hot = [ranked("h1", 1.0, [0.9, 0.436]), ranked("h2", 0.8, [0.8, 0.6])]
    cold = [ranked("c1", 1.0, [0.2, 0.98]), ranked("c2", 0.5, [0.1, 0.99])]  # its best is still far off
    merged = merge_tiers(query, [hot, cold], 3)
    assert [m.record.memory_id for m in merged] == ["h1", "h2", "c1"]
    assert abs(merged[0].score - 0.9) < 1e-3


def test_a_better_archive_match_ranks_first_and_empty_tiers_are_skipped() -> None:
    query = np.asarray([1.0, 0.0], dtype=np.float32)
    hot = [ranked("h1", 1.0, [0.5, 0.866])]
    cold = [ranked("c1", 1.0, [0.99, 0.14])]
    assert [m.record.memory_id for m in merge_tiers(query, [hot, [], cold], 5)] == ["c1", "h1"]
