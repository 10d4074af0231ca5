"""Events between services. Each is a pydantic model with a fixed schema version; trace context
travels in NATS headers, not in the body.

A consumer rejects a body whose `schema_version` it does not know, so a breaking change means a new
model and a new subject version (`somnia.v2...`), never an edited one.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from somnia_contracts.identifiers import Namespace, RunId, SessionId, TurnId

Role = Literal["user", "assistant", "system", "tool"]
# What a memory is: said (episodic), made offline (semantic insights, procedural), or what did not work.
MemoryKind = Literal["episodic", "semantic", "procedural", "negative"]
MEMORY_KINDS: tuple[str, ...] = get_args(MemoryKind)
Outcome = Literal["unspecified", "succeeded", "failed", "abandoned"]
ROLES: tuple[str, ...] = get_args(Role)
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class Event(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    namespace: Namespace
    session_id: SessionId


class ToolCallPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arguments_json: str = ""
    result: str = ""


class SessionStarted(Event):
    """`somnia.v1.session.started.<ns>.<session>`: an agent opened a session."""

    event_type: Literal["session.started"] = "session.started"
    agent: str = ""
    opening: str = ""
    tools: tuple[str, ...] = ()
    started_at: AwareDatetime


class TurnCaptured(Event):
    """`somnia.v1.session.turn.<ns>.<session>`: one turn was accepted by capture."""

    event_type: Literal["session.turn"] = "session.turn"
    turn_id: TurnId
    role: Role
    content: str
    # Who said it, by name, when role is not enough ("Caroline"); empty when not given.
    speaker: str = Field(default="", max_length=128)
    tool_call: ToolCallPayload | None = None
    occurred_at: AwareDatetime
    captured_at: AwareDatetime


class SessionClosed(Event):
    """`somnia.v1.session.closed.<ns>.<session>`: the session ended, with its outcome if known."""

    event_type: Literal["session.closed"] = "session.closed"
    outcome: Outcome = "unspecified"
    ended_at: AwareDatetime


class MemoryIndexed(Event):
    """`somnia.v1.memory.indexed.<ns>.<session>`: new memories are durable in the vector store: a captured
    turn's chunks (embedding), or a negative memory, digest or insight (forgetting, dreaming). The graph
    service links each the same way (SIMILAR_TO, supersession checks)."""

    event_type: Literal["memory.indexed"] = "memory.indexed"
    turn_id: str
    memory_ids: tuple[str, ...] = Field(min_length=1)
    kind: MemoryKind = "episodic"
    # The memories these quote (a negative memory's "Tried <first turn>"): linked QUOTES in the graph.
    quotes: tuple[str, ...] = ()
    embedder: str
    dimension: int = Field(gt=0)
    occurred_at: datetime
    indexed_at: AwareDatetime


# helped / misled / disproven / retracted are about a memory; succeeded / failed about a session's task;
# checked_absent says the agent looked for something (the note names it) and it was not there.
FeedbackSignal = Literal["helped", "misled", "succeeded", "failed", "disproven", "retracted", "checked_absent"]
MEMORY_SIGNALS: tuple[str, ...] = ("helped", "misled", "disproven", "retracted")
FEEDBACK_SIGNALS: tuple[str, ...] = get_args(FeedbackSignal)


class MemoryFeedback(Event):
    """`somnia.v1.memory.feedback.<ns>.<session>`: an agent said a recalled memory helped or misled it
    (`memory_id` set), or that the session's task succeeded or failed (`memory_id` empty)."""

    event_type: Literal["memory.feedback"] = "memory.feedback"
    feedback_id: str = Field(min_length=1, max_length=128)
    memory_id: str = ""
    signal: FeedbackSignal
    note: str = Field(default="", max_length=4096)
    # For `disproven`: the memory that shows it wrong (empty when the note alone is the evidence).
    evidence_id: str = ""
    reported_at: AwareDatetime


class MemoryRecalled(Event):
    """`somnia.v1.memory.recalled.<ns>.<session>`: Recall returned these memories of the session (one
    event per session of the answer). Each is a use: a trace of its base-level activation."""

    event_type: Literal["memory.recalled"] = "memory.recalled"
    recall_id: str = Field(min_length=1, max_length=64)
    memory_ids: tuple[str, ...] = Field(min_length=1)
    recalled_at: AwareDatetime


class MemoryWithdrawn(Event):
    """`somnia.v1.memory.withdrawn.<ns>.<session>`: the graph service read that a speaker took memories
    back ("don't keep that": `deleted_by_user`; "strike what I said about the gym": `retracted`), in the
    memory `by_memory_id` of this session. Recall leaves them out of default recall either way, and erases
    them through the Forget path when the deployment asks it to (SOMNIA_RECALL_ERASE_WITHDRAWN). Ids
    only: no memory content travels here."""

    event_type: Literal["memory.withdrawn"] = "memory.withdrawn"
    memory_ids: tuple[str, ...] = Field(min_length=1)
    status: Literal["retracted", "deleted_by_user"]
    by_memory_id: str = Field(min_length=1)
    withdrawn_at: AwareDatetime


class MemoryArchived(Event):
    """`somnia.v1.memory.archived.<ns>.<session>`: forgetting moved weak memories of the session out of
    the hot index into the cold archive, after consolidating them into `digest_id` (ids only, no text)."""

    event_type: Literal["memory.archived"] = "memory.archived"
    memory_ids: tuple[str, ...] = Field(min_length=1)
    digest_id: str = ""
    reason: Literal["weak", "budget"]
    archived_at: AwareDatetime


class MemoryRestored(Event):
    """`somnia.v1.memory.restored.<ns>.<session>`: archived memories were brought back to the hot index."""

    event_type: Literal["memory.restored"] = "memory.restored"
    memory_ids: tuple[str, ...] = Field(min_length=1)
    restored_at: AwareDatetime


class CacheWarmed(Event):
    """`somnia.v1.cache.warmed.<ns>.<session>`: a warm pack for the session is in the KV bucket."""

    event_type: Literal["cache.warmed"] = "cache.warmed"
    key: str
    layer_tokens: dict[str, int]
    items: int = Field(ge=0)
    build_ms: float = Field(ge=0)
    warmed_at: AwareDatetime


EVENT_TYPES: dict[str, type[Event]] = {
    "session.started": SessionStarted,
    "session.turn": TurnCaptured,
    "session.closed": SessionClosed,
    "memory.indexed": MemoryIndexed,
    "memory.feedback": MemoryFeedback,
    "memory.recalled": MemoryRecalled,
    "memory.archived": MemoryArchived,
    "memory.withdrawn": MemoryWithdrawn,
    "memory.restored": MemoryRestored,
    "cache.warmed": CacheWarmed,
}


def parse_event(data: bytes) -> Event:
    """The event in a message body, by its `event_type`; ValueError (or pydantic's ValidationError, a
    ValueError) for anything no contract explains."""
    try:
        body = json.loads(data)
    except RecursionError as exc:
        raise ValueError("the message nests deeper than any event does") from exc
    model = EVENT_TYPES.get(body.get("event_type", "")) if isinstance(body, dict) else None
    if model is None:
        raise ValueError(f"unknown event_type {body.get('event_type') if isinstance(body, dict) else body!r}")
    return model.model_validate(body)


# `promote` (the promotion rule, and training an adapter when it says so) runs only when asked for: a
# scheduled dream runs the others, a retrain after forgetting asks for `promote` alone.
DreamJob = Literal["patterns", "success", "communities", "clusters", "consolidate", "promote"]
DREAM_JOBS: tuple[str, ...] = get_args(DreamJob)
DEFAULT_DREAM_JOBS: tuple[DreamJob, ...] = ("patterns", "success", "communities", "clusters", "consolidate")


class DreamEvent(BaseModel):
    """Fields every dream event carries: dreaming works on a namespace, not on one session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    namespace: Namespace
    run_id: RunId


class DreamRequested(DreamEvent):
    """`somnia.v1.dream.requested.<ns>.<run>`: dream over the sessions of [since, until). A run id that
    already finished is not run again; one that was interrupted resumes."""

    event_type: Literal["dream.requested"] = "dream.requested"
    since: AwareDatetime
    until: AwareDatetime
    jobs: tuple[DreamJob, ...] = ()
    requested_at: AwareDatetime


class PatternMined(DreamEvent):
    """`somnia.v1.dream.pattern.<ns>.<run>`: a pattern recurred across sessions."""

    event_type: Literal["dream.pattern"] = "dream.pattern"
    pattern_id: str
    kind: str
    items: tuple[str, ...]
    support: int = Field(ge=1)
    confidence: float = Field(ge=0.0, le=1.0)
    success_mean: float = Field(ge=0.0, le=1.0)
    success_lower: float = Field(ge=0.0, le=1.0)
    mined_at: AwareDatetime


class CommunityDetected(DreamEvent):
    """`somnia.v1.dream.community.<ns>.<run>`: a community of entities or a cluster of memories."""

    event_type: Literal["dream.community"] = "dream.community"
    community_id: str
    kind: str
    label: str
    size: int = Field(ge=1)
    sessions: int = Field(ge=0)
    detected_at: AwareDatetime


class InsightConsolidated(DreamEvent):
    """`somnia.v1.dream.insight.<ns>.<run>`: an insight memory was written (or rewritten) from a pattern,
    a community or a cluster; it is recallable like any memory."""

    event_type: Literal["dream.insight"] = "dream.insight"
    memory_id: str
    source: str
    layer: Literal["L3", "L4"]
    sources: int = Field(ge=0, description="how many memories it was consolidated from")
    consolidated_at: AwareDatetime


ForgetTarget = Literal["memory", "session", "subject", "namespace"]


class MemoryForgotten(BaseModel):
    """`somnia.v1.audit.forgotten.<ns>.<audit id>` (stream SOMNIA_AUDIT): what an erasure removed, for
    the audit trail. It never carries content: the target is named by a digest only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    event_type: Literal["audit.forgotten"] = "audit.forgotten"
    namespace: Namespace
    audit_id: str = Field(min_length=1, max_length=64)
    target: ForgetTarget
    target_digest: str = Field(description="sha256 of the memory id, session id or subject; never the text")
    reason: str = Field(default="", max_length=512)
    requested_by: str = Field(
        default="", max_length=256, description="who asked: `key:<name>`, `jwt:<sub>` or `cert:<identity>`"
    )
    memories: int = Field(ge=0)
    graph_nodes: int = Field(ge=0)
    warm_packs: int = Field(ge=0)
    stream_messages: int = Field(ge=0)
    insights_deleted: int = Field(ge=0)
    insights_rebuilt: int = Field(ge=0)
    # LoRA adapters that held an erased memory, now stale (a retrain without it is requested).
    adapters_stale: int = Field(default=0, ge=0)
    forgotten_at: AwareDatetime
