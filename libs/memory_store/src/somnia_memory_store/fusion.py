"""Relative score fusion of a dense and a sparse ranking (Weaviate's default hybrid fusion).

Each ranking's scores are min-max normalised to [0, 1]; an item's fused score is
alpha * vector + (1 - alpha) * keyword, with 0 for a retriever that did not return it. Fusion works on
keys (row ids, memory ids), so records are loaded only for the items that survive it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Fused(Generic[K]):
    key: K
    score: float
    vector_score: float
    keyword_score: float
    vector_rank: int
    keyword_rank: int


def _normalised(ranked: Sequence[tuple[K, float]]) -> dict[K, tuple[float, int]]:
    if not ranked:
        return {}
    scores = [score for _, score in ranked]
    low, high = min(scores), max(scores)
    span = high - low
    return {key: ((score - low) / span if span > 0 else 1.0, rank) for rank, (key, score) in enumerate(ranked, 1)}


def relative_score_fusion(
    dense: Sequence[tuple[K, float]], sparse: Sequence[tuple[K, float]], *, alpha: float, k: int
) -> list[Fused[K]]:
    """Fuse two best-first rankings of (key, raw score) into the top k, best first."""
    dense_n, sparse_n = _normalised(dense), _normalised(sparse)
    fused = []
    for key in dense_n.keys() | sparse_n.keys():
        v, v_rank = dense_n.get(key, (0.0, 0))
        s, s_rank = sparse_n.get(key, (0.0, 0))
        fused.append(Fused(key, alpha * v + (1 - alpha) * s, v, s, v_rank, s_rank))
    # Ties broken by best rank, then key, so results are deterministic.
    fused.sort(key=lambda f: (-f.score, min(f.vector_rank or 10**9, f.keyword_rank or 10**9), str(f.key)))
    return fused[:k]
