"""One answer from two tiers: the hot index and the cold archive, each ranked on its own.

A tier's scores are relative to its own candidates (search scores are min-max normalised per query),
so they cannot be compared across tiers, and the archive holds what faded: mostly what nobody needed.
The hot answer therefore stands, and an archived memory displaces its weakest items only when it
matches the query at least as well, by raw cosine, as the best hot memory does: then the archive holds
something closer than anything hot, and it comes first. (Merging the two on a common scale, each tier
scaled by its best cosine, let archived near-duplicates crowd out the evidence: 0.62 -> 0.42 recall@10
with 10x distractors, docs/benchmarks.md.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from somnia_retrieval.models import RankedMemory


def cosine(query: npt.NDArray[np.float32], vector: npt.NDArray[np.float32]) -> float:
    denominator = float(np.linalg.norm(query) * np.linalg.norm(vector)) or 1.0
    return float(np.dot(query, vector)) / denominator


def merge_tiers(
    query: npt.NDArray[np.float32], hot: Sequence[RankedMemory], cold: Sequence[RankedMemory], k: int
) -> list[RankedMemory]:
    """The hot answer, led by the archived memories that match the query at least as well as its best."""
    bar = max((cosine(query, m.record.vector) for m in hot), default=-1.0)
    closer = sorted(
        (m for m in cold if cosine(query, m.record.vector) >= bar), key=lambda m: -cosine(query, m.record.vector)
    )
    return [*closer, *hot][:k]
