"""Keep a group's id across runs: a new group takes the id of last run's group it overlaps most (Jaccard
of members, at least `min_overlap`, each old id used once); a group with no such match gets a new id
derived from its members, so the same members always get the same id."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def fresh_id(prefix: str, members: Sequence[str]) -> str:
    return f"{prefix}-" + hashlib.sha1("\x1f".join(sorted(members)).encode()).hexdigest()[:12]


def assign_ids(
    prefix: str, groups: Sequence[Sequence[str]], previous: dict[str, frozenset[str]], min_overlap: float
) -> list[str]:
    """One id per group, in the groups' order."""
    sets = [frozenset(g) for g in groups]
    candidates = sorted(
        (
            (jaccard(members, old), index, old_id)
            for index, members in enumerate(sets)
            for old_id, old in previous.items()
            if members & old
        ),
        reverse=True,
    )
    ids: list[str | None] = [None] * len(sets)
    taken: set[str] = set()
    for overlap, index, old_id in candidates:  # best overlaps first: a greedy one-to-one matching
        if overlap < min_overlap:
            break
        if ids[index] is None and old_id not in taken:
            ids[index] = old_id
            taken.add(old_id)
    return [found or fresh_id(prefix, groups[i]) for i, found in enumerate(ids)]
