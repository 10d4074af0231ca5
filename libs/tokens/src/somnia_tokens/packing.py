"""Pack ranked items into a token budget: best first, skipping what does not fit, never over."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Packed(Generic[T]):
    items: list[tuple[T, int]]  # (item, its tokens), in rank order
    tokens: int


def pack_in_order(items: Sequence[T], budget: int, count: Callable[[T], int]) -> Packed[T]:
    """Keep items in rank order while they fit; a long item that does not fit is skipped so shorter,
    lower-ranked ones can still use the space."""
    kept: list[tuple[T, int]] = []
    used = 0
    for item in items:
        tokens = count(item)
        if used + tokens <= budget:
            kept.append((item, tokens))
            used += tokens
    return Packed(kept, used)
