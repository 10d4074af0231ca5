"""The packs a warm pack must beat, each filled to the same token budget from the same history, and the
live-wake context window. Pure functions over (turn id, session, tokens) rows, so every baseline is
computed the same way for LoCoMo and for generated histories."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from somnia_tokens import pack_in_order

RANDOM_DRAWS = 20


@dataclass(frozen=True)
class Turn:
    turn_id: str
    session: str
    tokens: int


def fill(turns: Iterable[Turn], budget: int) -> set[str]:
    """Turns in the given order while they fit; a turn too big for what is left is skipped."""
    return {turn.turn_id for turn, _ in pack_in_order(list(turns), budget, lambda t: t.tokens).items}


def tail(history: Sequence[Turn], budget: int) -> set[str]:
    """The last N tokens of the conversation: the newest turns, stopping at the first that does not fit."""
    kept: set[str] = set()
    used = 0
    for turn in reversed(history):
        if used + turn.tokens > budget:
            break
        kept.add(turn.turn_id)
        used += turn.tokens
    return kept


def recent_sessions(history: Sequence[Turn], budget: int) -> set[str]:
    """The newest sessions, each read from its start: "resume where we were" at the session level."""
    sessions = list(dict.fromkeys(t.session for t in reversed(history)))
    by_session: dict[str, list[Turn]] = {}
    for t in history:
        by_session.setdefault(t.session, []).append(t)
    kept: set[str] = set()
    used = 0
    for session in sessions:
        for turn in by_session[session]:
            if used + turn.tokens > budget:
                return kept
            kept.add(turn.turn_id)
            used += turn.tokens
    return kept


def random_hits(history: Sequence[Turn], budget: int, wanted: set[str], seed: int) -> float:
    """Mean hits of RANDOM_DRAWS packs of random turns filled to the budget."""
    rng = random.Random(seed)
    total = 0
    for _ in range(RANDOM_DRAWS):
        order = list(history)
        rng.shuffle(order)
        total += len(fill(order, budget) & wanted)
    return total / RANDOM_DRAWS


def most_recalled(history: Sequence[Turn], uses: Counter[str], budget: int) -> set[str]:
    """The turns recalled most often so far (ties: newest first), as a usage-ranked cache would keep."""
    order = {t.turn_id: n for n, t in enumerate(history)}
    ranked = sorted(history, key=lambda t: (-uses.get(t.turn_id, 0), -order[t.turn_id]))
    return fill((t for t in ranked if uses.get(t.turn_id, 0) > 0), budget)


class DeltaWindow:
    """What live wake adds to an agent's context: deltas, newest kept, within a token budget (an agent
    drops the oldest delta to make room, as it would trim any rolling context)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._deltas: list[tuple[set[str], int]] = []

    @property
    def held(self) -> set[str]:
        return {m for ids, _ in self._deltas for m in ids}

    def add(self, ids: set[str], tokens: int) -> None:
        if not ids:
            return
        self._deltas.append((ids, tokens))
        while sum(t for _, t in self._deltas) > self.budget and len(self._deltas) > 1:
            self._deltas.pop(0)


def common_prefix_share(before: str, after: str) -> float:
    """The share of `after` (bytes) that repeats `before` from the first byte: what a provider's prompt
    cache can reuse when the next session's pack replaces the last one."""
    a, b = before.encode(), after.encode()
    if not b:
        return 0.0
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n / len(b)
