"""Frequent sequential patterns (PrefixSpan): ordered item sequences, not necessarily contiguous, that
occur in at least `min_support` sequences. Each sequence counts once per pattern however often it holds it.
"""

from __future__ import annotations

from collections.abc import Sequence


def prefixspan(database: Sequence[Sequence[int]], min_support: int, max_length: int) -> dict[tuple[int, ...], set[int]]:
    """Every frequent pattern of length 1..max_length with the indices of the sequences that hold it."""
    found: dict[tuple[int, ...], set[int]] = {}
    # A projection is (sequence index, position after the prefix's last item in that sequence).
    stack: list[tuple[tuple[int, ...], list[tuple[int, int]]]] = [((), [(i, 0) for i in range(len(database))])]
    while stack:
        prefix, projected = stack.pop()
        if len(prefix) >= max_length:
            continue
        # First occurrence of each item in each projected suffix: that is where the extension continues.
        extensions: dict[int, list[tuple[int, int]]] = {}
        for index, start in projected:
            seen: set[int] = set()
            sequence = database[index]
            for position in range(start, len(sequence)):
                item = sequence[position]
                if item not in seen:
                    seen.add(item)
                    extensions.setdefault(item, []).append((index, position + 1))
        for item, occurrences in extensions.items():
            if len(occurrences) < min_support:
                continue
            pattern = (*prefix, item)
            found[pattern] = {index for index, _ in occurrences}
            stack.append((pattern, occurrences))
    return found


def is_subsequence(short: Sequence[int], long: Sequence[int]) -> bool:
    remaining = iter(long)
    return all(item in remaining for item in short)


def closed(patterns: dict[tuple[int, ...], set[int]]) -> dict[tuple[int, ...], set[int]]:
    """Drop a pattern when a longer one that contains it holds in the same sequences: it adds nothing."""
    by_support: dict[int, list[tuple[int, ...]]] = {}
    for pattern, holders in patterns.items():
        by_support.setdefault(len(holders), []).append(pattern)
    kept = {}
    for pattern, holders in patterns.items():
        same = by_support[len(holders)]
        if not any(
            len(other) > len(pattern) and patterns[other] == holders and is_subsequence(pattern, other)
            for other in same
        ):
            kept[pattern] = holders
    return kept
