"""What calls return: plain frozen dataclasses, so an agent never handles protobuf."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Role = Literal["user", "assistant", "system", "tool"]
Signal = Literal["helped", "misled", "succeeded", "failed", "disproven", "retracted", "checked_absent"]
Outcome = Literal["succeeded", "failed", "abandoned", "unspecified"]


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments_json: str = ""
    result: str = ""


@dataclass(frozen=True)
class Turn:
    """One turn to capture. Without `turn_id` the SDK makes one, so a retried capture is stored once.
    `speaker` names who said it when the role is not enough (a chat between two named people)."""

    content: str
    role: Role = "user"
    turn_id: str = ""
    occurred_at: datetime | None = None
    tool_call: ToolCall | None = None
    speaker: str = ""


@dataclass(frozen=True)
class TurnAck:
    turn_id: str
    sequence: int
    duplicate: bool


@dataclass(frozen=True)
class Scores:
    fused: float
    vector: float
    keyword: float
    relevance: float
    recency: float
    importance: float
    final: float
    strength: float


@dataclass(frozen=True)
class RecalledMemory:
    """A recalled memory: its text, where it came from, why it was returned and whether it still holds
    (`status` is `asserted` while nothing is known against it, else `superseded`, `disproven`,
    `retracted`, `deleted_by_user`, `uncertain`, `downgraded`, or `current` for a plan whose condition
    came true; `changed_by` is the memory that set it)."""

    memory_id: str
    text: str
    kind: str
    session_id: str
    turn_id: str
    role: str
    occurred_at: datetime | None
    scores: Scores
    why: str
    tokens: int
    status: str = ""
    status_reason: str = ""
    superseded_by: str = ""
    changed_by: str = ""
    archived: bool = False


@dataclass(frozen=True)
class RecallResult:
    memories: list[RecalledMemory]
    token_count: int
    # True when the best match is weak: the answer may simply not be in memory.
    answer_may_be_absent: bool
    # The adapters asked for (`adapters=`) that were live: what they carry was left out.
    adapters_applied: tuple[str, ...] = ()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.memories)

    def __len__(self) -> int:
        return len(self.memories)


@dataclass(frozen=True)
class WarmLayer:
    layer: str
    budget: int
    token_count: int
    memories: list[RecalledMemory]


@dataclass(frozen=True)
class WarmContext:
    """What an agent should know at session start: four layers under token budgets, and `rendered`, the
    text to put in its context."""

    rendered: str
    token_count: int
    layers: list[WarmLayer] = field(default_factory=list)
    from_cache: bool = False
    adapters_applied: tuple[str, ...] = ()


@dataclass(frozen=True)
class WakeDelta:
    """Live wake: what the newest turn makes relevant that the agent does not hold yet; `rendered` is the
    text to append to its context."""

    rendered: str
    token_count: int
    memories: list[RecalledMemory] = field(default_factory=list)
    adapters_applied: tuple[str, ...] = ()


# Recall and WarmCache answer NOT_FOUND for a namespace that holds nothing yet: a new user's first
# session, the commonest case. The SDK turns that into these empty answers instead of an error.
NOTHING_RECALLED = RecallResult([], 0, answer_may_be_absent=True)
NOTHING_TO_WARM = WarmContext(rendered="", token_count=0)
NOTHING_NEW = WakeDelta(rendered="", token_count=0)


@dataclass(frozen=True)
class ForgetReport:
    audit_id: str
    already_forgotten: bool
    memories: int
    graph_nodes: int
    warm_packs: int
    stream_messages: int
    # LoRA adapters that held an erased memory: no longer served, a retrain asked for.
    adapters_stale: int = 0
