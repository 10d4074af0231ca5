"""Relative score fusion of a dense and a sparse result list (Weaviate's default hybrid fusion).

Each list's scores are min-max normalised to [0, 1]; an item's fused score is
alpha * vector + (1 - alpha) * keyword, with 0 for a retriever that did not return it.
"""

from __future__ import annotations

from collections.abc import Sequence

from somnia_memory_store.models import SearchHit


def _normalised(hits: Sequence[SearchHit]) -> dict[str, tuple[float, int, SearchHit]]:
    if not hits:
        return {}
    scores = [h.score for h in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {
        h.record.memory_id: ((h.score - low) / span if span > 0 else 1.0, rank, h)
        for rank, h in enumerate(hits, start=1)
    }


def relative_score_fusion(
    dense: Sequence[SearchHit], sparse: Sequence[SearchHit], *, alpha: float, k: int
) -> list[SearchHit]:
    dense_n, sparse_n = _normalised(dense), _normalised(sparse)
    fused: list[SearchHit] = []
    for memory_id in dense_n.keys() | sparse_n.keys():
        v, v_rank, v_hit = dense_n.get(memory_id, (0.0, 0, None))
        s, s_rank, s_hit = sparse_n.get(memory_id, (0.0, 0, None))
        hit = v_hit or s_hit
        assert hit is not None
        fused.append(
            SearchHit(
                record=hit.record,
                score=alpha * v + (1 - alpha) * s,
                vector_score=v,
                keyword_score=s,
                vector_rank=v_rank,
                keyword_rank=s_rank,
            )
        )
    # Ties broken by id so that results are deterministic.
    fused.sort(key=lambda h: (-h.score, h.record.memory_id))
    return fused[:k]
