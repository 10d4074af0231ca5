"""Rerank: relevance raised by recency, importance and strength, a cross-encoder's reading of the head
when one is configured, then maximal marginal relevance for diversity.

Pure functions over candidates, so each signal can be tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from somnia_graph_store import FeedbackCounts, UseHistory
from somnia_memory_model import ActivationLaw, importance

from somnia_retrieval.models import Candidate, RankedMemory
from somnia_retrieval.settings import RankingSettings
from somnia_retrieval.small_talk import says_little


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


@dataclass
class ScoredPool:
    """The pool in score order with every signal that scored it; a cross-encoder may still reorder its
    head (blend_cross) before the k best are picked."""

    ordered: list[Candidate]
    fresh: list[float]
    weight: list[float]
    strong: list[float]
    scores: npt.NDArray[np.float64]

    def head(self, n: int) -> list[Candidate]:
        """The n best by score: what a cross-encoder reads."""
        return self.ordered[:n]

    def blend_cross(self, cross: Sequence[float], share: float) -> None:
        """Reorder the head (the first len(cross)) by `share` x the cross-encoder's order plus the rest x
        the pipeline's own, both min-max normalised over the head, mapped back onto the head's score
        range so that nothing below the head can overtake it. A flagged item (stale, withdrawn) keeps its
        own place, and so does the change that flagged it ("I've stopped going there" for a question
        about the gym): the cross-encoder reads words, not what later knowledge says of them."""
        n = len(cross)
        if n < 2 or share <= 0.0:
            return
        head = self.scores[:n]
        low, high = float(head.min()), float(head.max())
        if high <= low:
            return
        base = (head - low) / (high - low)
        read = np.asarray(cross, dtype=np.float64)
        spread = float(read.max() - read.min()) if np.isfinite(read).all() else 0.0
        if spread <= 0.0:
            return  # no order to learn from (all equal, or a score that is not a number)
        said = (read - read.min()) / spread
        flagged = np.asarray([c.standing.status not in TRUSTED or bool(c.explains) for c in self.ordered[:n]])
        said = np.where(flagged, base, said)
        self.scores[:n] = low + ((1.0 - share) * base + share * said) * (high - low)


# Statuses a cross-encoder may move: what is still held as true.
TRUSTED = frozenset({"asserted", "current"})


def score_pool(
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    feedback: dict[str, FeedbackCounts],
    settings: RankingSettings,
    uses: dict[str, UseHistory] | None = None,
) -> ScoredPool:
    """relevance x (1 + recency, importance and strength, each weighted), best first."""
    law = settings.law()
    ordered = sorted(candidates, key=lambda c: (-c.relevance, c.record.memory_id))
    fresh = [recency(c.record.occurred_at, now, settings.recency_half_life_days) for c in ordered]
    weight = [importance(feedback.get(c.record.memory_id)) for c in ordered]
    strong = [
        law.strength(base_level(law, c, now, (uses or {}).get(c.record.memory_id)), w, c.success)
        for c, w in zip(ordered, weight, strict=True)
    ]
    quiet = 1.0 - settings.small_talk_penalty
    scores = np.asarray(
        [
            c.relevance
            * (1.0 + settings.recency_weight * r + settings.importance_weight * w + settings.strength_weight * g)
            * (quiet if says_little(c.record.text) else 1.0)
            for c, r, w, g in zip(ordered, fresh, weight, strong, strict=True)
        ],
        dtype=np.float64,
    )
    order = sorted(range(len(ordered)), key=lambda i: (-scores[i], ordered[i].record.memory_id))
    return ScoredPool(
        ordered=[ordered[i] for i in order],
        fresh=[fresh[i] for i in order],
        weight=[weight[i] for i in order],
        strong=[strong[i] for i in order],
        scores=scores[order] if order else scores,
    )


def pick(scored: ScoredPool, *, k: int, settings: RankingSettings, follow_plans: bool = True) -> list[RankedMemory]:
    """The k best, with maximal marginal relevance for diversity (and what explains them: `with_explanations`)."""
    ordered, scores = scored.ordered, scored.scores
    if not ordered:
        return []
    if settings.mmr_lambda < 1.0:
        picks = mmr_order(scores, unit_rows([c.record.vector for c in ordered]), k, settings.mmr_lambda)
    else:
        picks = sorted(range(len(ordered)), key=lambda i: -scores[i])[:k]
    picks = with_explanations(ordered, picks, k, follow_plans=follow_plans)
    return [
        RankedMemory(
            record=ordered[i].record,
            score=float(scores[i]),
            relevance=ordered[i].relevance,
            recency=scored.fresh[i],
            importance=scored.weight[i],
            strength=scored.strong[i],
            standing=ordered[i].standing,
            hit=ordered[i].hit,
            paths=tuple(dict.fromkeys(ordered[i].paths)),
        )
        for i in picks
    ]


def with_explanations(
    ordered: Sequence[Candidate], picks: Sequence[int], k: int, *, follow_plans: bool = True
) -> list[int]:
    """`picks`, each memory that later knowledge changed or made current followed by the memory that did it
    (its `explains`), when that one was not picked on its own: a flagged item or a plan that took over is
    never answered without what flagged it, however the cross-encoder or diversity ordered the two. The
    news that made a plan current brings the plan the same way ("I got the job in Leeds" answers "how will
    I get to work?" only with "should I change jobs, I'd take the train"), unless `follow_plans` is off. To
    keep k, the last picks that are not such a pair give way."""
    cause_of: dict[str, int] = {}
    plans_of: dict[int, list[int]] = {}
    at = {c.record.memory_id: i for i, c in enumerate(ordered)}
    for i, c in enumerate(ordered):
        for explained in c.explains:
            cause_of.setdefault(explained, i)  # ordered best first: the strongest cause
            j = at.get(explained)
            if follow_plans and j is not None and ordered[j].standing.status == "current":
                plans_of.setdefault(i, []).append(j)
    out: list[int] = []
    pinned: set[int] = set()
    chosen = set(picks)
    for i in picks:  # distinct, and a cause or plan is added only when it is not among them
        out.append(i)
        j = cause_of.get(ordered[i].record.memory_id)
        for other in ([j] if j is not None else []) + plans_of.get(i, []):
            if other not in chosen:
                out.append(other)
                chosen.add(other)
                pinned.update((i, other))
    while len(out) > k:
        loose = [n for n, i in enumerate(out) if i not in pinned]
        out.pop(loose[-1] if loose else -1)
    return out
