"""What a dream run works on and what its jobs hand each other."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from somnia_contracts import DreamJob
from somnia_graph_store import CommunityNode, PatternNode


class DreamWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    since: AwareDatetime
    until: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> DreamWindow:
        if self.since >= self.until:
            raise ValueError(f"the window is empty: since {self.since} is not before until {self.until}")
        return self


class JobResult(BaseModel):
    """A finished job's output, kept in the run's checkpoint so a resumed run does not redo it."""

    model_config = ConfigDict(frozen=True)

    job: DreamJob
    patterns: tuple[PatternNode, ...] = ()
    communities: tuple[CommunityNode, ...] = ()
    insights: tuple[str, ...] = ()
    read: int = Field(default=0, description="sessions or memories the job read")
    seconds: float = 0.0
    note: str = ""


class DreamRunState(BaseModel):
    """A run's checkpoint: which jobs are done and what they found."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    run_id: str
    since: datetime
    until: datetime
    jobs: tuple[DreamJob, ...]
    done: dict[str, JobResult] = Field(default_factory=dict)
    status: str = "running"  # running | finished | failed
    error: str = ""
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
