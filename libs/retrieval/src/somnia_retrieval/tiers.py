"""One answer from two tiers (the hot index and the cold archive), each ranked on its own.

A tier's scores are relative to its own candidates (search scores are min-max normalised per query),
so the best item of an archive that holds nothing relevant scores as high as the best hot item. Each
tier's scores are therefore scaled by how well its best item actually matches the query (its raw
cosine): a tier whose best match is weak counts for less, and the two merge on one scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from somnia_retrieval.models import RankedMemory


def cosine(query: npt.NDArray[np.float32], vector: npt.NDArray[np.float32]) -> float:
    denominator = float(np.linalg.norm(query) * np.linalg.norm(vector)) or 1.0
    return float(np.dot(query, vector)) / denominator


def merge_tiers(query: npt.NDArray[np.float32], tiers: Sequence[Sequence[RankedMemory]], k: int) -> list[RankedMemory]:
    """The k best of all tiers, each tier's scores scaled by its best item's cosine to the query."""
    merged: list[RankedMemory] = []
    for tier in tiers:
        if not tier:
            continue
        top = max(m.score for m in tier) or 1.0
        match = max(0.0, max(cosine(query, m.record.vector) for m in tier))
        merged.extend(replace(m, score=m.score / top * match) for m in tier)
    return sorted(merged, key=lambda m: -m.score)[:k]
