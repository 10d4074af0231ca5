"""Rerank: relevance raised by recency, importance and strength, then maximal marginal relevance for
diversity.

Pure functions over candidates, so each signal can be tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt
from somnia_graph_store import FeedbackCounts, UseHistory
from somnia_memory_model import ActivationLaw, importance

from somnia_retrieval.models import Candidate, RankedMemory
from somnia_retrieval.settings import RankingSettings


def recency(occurred_at: datetime, now: datetime, half_life_days: float) -> float:
    """1 for a memory of `now`, halving every `half_life_days` before it (0..1)."""
    age_days = max((now - occurred_at).total_seconds(), 0.0) / 86400.0
    return math.exp(-math.log(2) * age_days / half_life_days)


def base_level(law: ActivationLaw, candidate: Candidate, now: datetime, history: UseHistory | None) -> float:
    """Traces: the memory's recording, then its uses (none recorded yet counts as never used)."""
    if history is None:
        return law.base_level(now, candidate.record.recorded_at)
    return law.base_level(now, candidate.record.recorded_at, history.count, history.recent)


def unit_rows(vectors: Sequence[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    matrix = np.vstack(vectors).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def mmr_order(scores: npt.NDArray[np.float64], unit: npt.NDArray[np.float32], k: int, lam: float) -> list[int]:
    """Greedy maximal marginal relevance: each pick maximises lam * score - (1 - lam) * its highest
    cosine to anything already picked."""
    chosen: list[int] = []
    remaining = list(range(len(scores)))
    closest = np.zeros(len(scores), dtype=np.float64)
    while remaining and len(chosen) < k:
        values = lam * scores[remaining] - (1.0 - lam) * closest[remaining]
        pick = remaining[int(np.argmax(values))]
        chosen.append(pick)
        remaining.remove(pick)
        closest = np.maximum(closest, unit @ unit[pick])
    return chosen


def rerank(
    candidates: Sequence[Candidate],
    *,
    k: int,
    now: datetime,
    feedback: dict[str, FeedbackCounts],
    settings: RankingSettings,
    uses: dict[str, UseHistory] | None = None,
) -> list[RankedMemory]:
    if not candidates:
        return []
    law = settings.law()
    ordered = sorted(candidates, key=lambda c: (-c.relevance, c.record.memory_id))
    fresh = [recency(c.record.occurred_at, now, settings.recency_half_life_days) for c in ordered]
    weight = [importance(feedback.get(c.record.memory_id)) for c in ordered]
    strong = [
        law.strength(base_level(law, c, now, (uses or {}).get(c.record.memory_id)), w, c.success)
        for c, w in zip(ordered, weight, strict=True)
    ]
    scores = np.asarray(
        [
            c.relevance
            * (1.0 + settings.recency_weight * r + settings.importance_weight * w + settings.strength_weight * g)
            for c, r, w, g in zip(ordered, fresh, weight, strong, strict=True)
        ],
        dtype=np.float64,
    )
    if settings.mmr_lambda < 1.0:
        picks = mmr_order(scores, unit_rows([c.record.vector for c in ordered]), k, settings.mmr_lambda)
    else:
        picks = sorted(range(len(ordered)), key=lambda i: -scores[i])[:k]
    return [
        RankedMemory(
            record=ordered[i].record,
            score=float(scores[i]),
            relevance=ordered[i].relevance,
            recency=fresh[i],
            importance=weight[i],
            strength=strong[i],
            standing=ordered[i].standing,
            hit=ordered[i].hit,
            paths=tuple(dict.fromkeys(ordered[i].paths)),
        )
        for i in picks
    ]
