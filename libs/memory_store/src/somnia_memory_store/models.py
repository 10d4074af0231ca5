"""What the store keeps and what a search returns."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class MemoryRecord(BaseModel):
    """One recallable unit: a chunk of a turn (episodic) for now."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    memory_id: str
    namespace: str
    kind: str = "episodic"
    # asserted | superseded | disproven | downgraded | retracted (negative knowledge comes later)
    status: str = "asserted"
    text: str
    session_id: str
    turn_id: str
    role: str
    chunk_index: int = 0
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    embedder: str
    vector: npt.NDArray[np.float32]


class SearchFilter(BaseModel):
    """Empty fields do not filter."""

    model_config = ConfigDict(frozen=True)

    session_ids: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    # What was known at a past time (`as_of`): only memories recorded by then.
    recorded_before: datetime | None = None


class SearchHit(BaseModel):
    """A record with the signals that found it. Scores are min-max normalised per query to [0, 1]."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    record: MemoryRecord
    score: float
    vector_score: float = 0.0
    keyword_score: float = 0.0
    vector_rank: int = Field(default=0, description="1-based; 0 when vector search did not return it")
    keyword_rank: int = 0


class ReindexProgress(BaseModel):
    """Where a reindex stands: the store's embedder, the one it is moving to (None when none is in
    progress), and how many memories already have the target's vector."""

    model_config = ConfigDict(frozen=True)

    embedder: str | None
    target: str | None
    done: int
    total: int
