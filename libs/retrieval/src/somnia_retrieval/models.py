"""What the pipeline passes between its steps and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from somnia_memory_store import MemoryRecord, SearchHit

# The warm pack's layers: L1 immediate, L2 session, L3 domain, L4 strategic.


class InvalidQuery(ValueError):
    """A query that cannot be answered; the message says what to fix."""


class UnknownNamespace(LookupError):
    """Nothing was ever stored under the namespace."""


# A memory's status: what later knowledge says about it.
Status = Literal[
    "asserted", "superseded", "disproven", "downgraded", "retracted", "deleted_by_user", "uncertain", "current"
]


@dataclass(frozen=True)
class Standing:
    """What later knowledge says about a memory, as known at the request's `as_of`."""

    status: Status = "asserted"
    # The memory that changed it: its replacement (superseded), the evidence (disproven), what took it
    # back (retracted, deleted_by_user), the change to what it rests on (uncertain), or what made a
    # conditional plan come true (current).
    by: str = ""
    reason: str = ""
    # When the change became known (record time).
    since: datetime | None = None
    # When it stopped being true in the world (world time); None while it holds.
    valid_to: datetime | None = None


ASSERTED = Standing()


@dataclass
class Candidate:
    """A memory on its way through the pipeline: its best relevance over every path that reached it."""

    record: MemoryRecord
    relevance: float
    hit: SearchHit | None = None
    paths: list[str] = field(default_factory=list)
    # The lower credible bound of the best mined pattern its turn realises (0 without one).
    success: float = 0.0
    standing: Standing = ASSERTED
    # The memories this one changed, when the standing reader brought it in or raised it as that change
    # (one report can end a plan's condition and unsettle a dependent): it answers for them, so a
    # cross-encoder reading its words does not move it.
    explains: list[str] = field(default_factory=list)

    def reach(self, relevance: float, path: str, *, spread: bool = False) -> None:
        """Another path reached the memory: with `spread`, its share adds to the relevance (spreading
        activation: evidence from several paths accumulates); otherwise the best path counts."""
        self.paths.append(path)
        self.relevance = self.relevance + relevance if spread else max(self.relevance, relevance)


@dataclass(frozen=True)
class RankedMemory:
    """A recalled memory with every signal that placed it."""

    record: MemoryRecord
    score: float
    relevance: float
    recency: float
    importance: float
    hit: SearchHit | None
    paths: tuple[str, ...]
    # Base-level activation raised by importance and success (docs/ranking.md), in (0, 1).
    strength: float = 0.0
    standing: Standing = ASSERTED
    # For an insight or a procedure that dreaming consolidated: the memories it was made from.
    derived_from: tuple[str, ...] = ()

    @property
    def superseded_by(self) -> str:
        return self.standing.by if self.standing.status == "superseded" else ""

    @property
    def why(self) -> str:
        return "; ".join(self.paths) or "returned by hybrid search"


@dataclass(frozen=True)
class AbsenceSignal:
    """Whether memory seems to hold the answer at all: what an agent should know before trusting items."""

    best_match: float
    entity_coverage: float
    may_be_absent: bool


@dataclass(frozen=True)
class RecallAnswer:
    """What Recall returns: the memories, best first, and whether memory seems to hold the answer."""

    memories: list[RankedMemory]
    absence: AbsenceSignal
