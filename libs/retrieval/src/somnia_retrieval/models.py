"""What the pipeline passes between its steps and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from somnia_memory_store import MemoryRecord, SearchHit

# The warm pack's layers: L1 immediate, L2 session, L3 domain, L4 strategic.
LayerName = Literal["L1", "L2", "L3", "L4"]


class InvalidQuery(ValueError):
    """A query that cannot be answered; the message says what to fix."""


class UnknownNamespace(LookupError):
    """Nothing was ever stored under the namespace."""


@dataclass
class Candidate:
    """A memory on its way through the pipeline: its best relevance over every path that reached it."""

    record: MemoryRecord
    relevance: float
    hit: SearchHit | None = None
    paths: list[str] = field(default_factory=list)
    # The lower credible bound of the best mined pattern its turn realises (0 without one).
    success: float = 0.0
    # The memory that replaces this one, when something newer does (as known at `as_of`).
    superseded_by: str = ""

    def reach(self, relevance: float, path: str, *, spread: bool = False) -> None:
        """Another path reached the memory: with `spread`, its share adds to the relevance (spreading
        activation: evidence from several paths accumulates); otherwise the best path counts."""
        self.paths.append(path)
        self.relevance = self.relevance + relevance if spread else max(self.relevance, relevance)


# The kinds dreaming writes (insights and procedures); their provenance is on the graph.
DREAMT_KINDS = ("semantic", "procedural")


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
    superseded_by: str = ""
    # For an insight or a procedure that dreaming consolidated: the memories it was made from.
    derived_from: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        return "; ".join(self.paths) or "returned by hybrid search"


@dataclass(frozen=True)
class AbsenceSignal:
    """Whether memory seems to hold the answer at all: what an agent should know before trusting items."""

    best_match: float
    entity_coverage: float
    may_be_absent: bool
