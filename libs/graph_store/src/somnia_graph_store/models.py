"""Nodes and edges of the memory graph. Structural edges are implied: a Turn is PART_OF its Session, a
Memory PART_OF its Turn, consecutive turns of a session (by time, then id) are joined by NEXT, and an
Agent RAN its sessions. MENTIONS, USED_TOOL, SIMILAR_TO and FEEDBACK_ON come from their own models."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class SessionNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    agent: str = ""
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    outcome: str = ""
    # Tools the agent had at the session start, kept on the session for warming to predict from.
    tools: tuple[str, ...] = ()


class TurnNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    turn_id: str
    role: str
    occurred_at: AwareDatetime
    # Arrival order (the JetStream sequence): breaks ties between turns stamped with the same time.
    sequence: int = 0


def turn_sort_key(turn: TurnNode) -> str:
    """Turns of a session are chained NEXT in this order: time, then arrival, then id."""
    return f"{turn.occurred_at.timestamp():020.6f}/{turn.sequence:020d}/{turn.turn_id}"


class MemoryNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    turn_id: str
    memory_id: str
    kind: str = "episodic"
    # The memories this one quotes (a negative memory's "Tried <first turn>", "Relied on <memory>"): a
    # QUOTES edge each, so erasing a memory finds what quotes it by link, not by matching its words.
    quotes: tuple[str, ...] = ()


class Mention(BaseModel):
    """A turn MENTIONS an entity (a name, a topic or a day); the entity node is merged by its key."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    turn_id: str
    entity_key: str
    name: str
    kind: str = "topic"


class ToolUse(BaseModel):
    """A turn USED_TOOL a tool (a tool call was captured with it)."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    turn_id: str
    tool: str


class Similarity(BaseModel):
    """Two memories are SIMILAR_TO each other (cosine of their vectors); stored both ways."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    memory_id: str
    other_id: str
    score: float


class FeedbackNode(BaseModel):
    """An agent's report on a memory (helped / misled) or a session (succeeded / failed), kept as its
    own node so a redelivered report is merged by id and counted once."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    feedback_id: str
    target: Literal["memory", "session"]
    target_id: str
    signal: str
    note: str = ""
    reported_at: AwareDatetime


class TurnRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    turn_id: str


class EntityTurns(BaseModel):
    """The turns that mention an entity (up to a limit) and how many mention it in all, which says how
    specific the entity is: a name in every turn links nothing."""

    model_config = ConfigDict(frozen=True)

    key: str
    mentions: int
    turns: tuple[TurnRef, ...] = ()


class FeedbackCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    helped: int = 0
    misled: int = 0


class TurnDigest(BaseModel):
    """What dreaming needs of a turn: when, who, which tools it used and what it mentioned (no text)."""

    model_config = ConfigDict(frozen=True)

    turn_id: str
    role: str
    occurred_at: AwareDatetime
    tools: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()


class SessionDigest(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    agent: str = ""
    outcome: str = ""
    turns: tuple[TurnDigest, ...] = Field(description="in conversation order")


class SessionPage(BaseModel):
    """One page of sessions by id; `next_after` is the cursor for the next page, None after the last."""

    model_config = ConfigDict(frozen=True)

    digests: tuple[SessionDigest, ...]
    next_after: str | None


PatternKind = Literal["tool_sequence", "problem_resolution", "topic"]


class PatternNode(BaseModel):
    """A pattern mined across sessions, with its support and its success posterior (Beta). The turns
    that realise it SUPPORT it; `insight_memory_id` is the memory that states it, when one was made."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    pattern_id: str
    kind: PatternKind
    items: tuple[str, ...]
    description: str
    support: int
    confidence: float
    successes: int = 0
    failures: int = 0
    success_mean: float = 0.5
    success_lower: float = 0.0
    insight_memory_id: str = ""
    # The memories the insight quotes or was made from: its provenance, and what erasing one rebuilds.
    sources: tuple[str, ...] = ()
    supporting_turns: tuple[TurnRef, ...] = ()
    run_id: str = ""


# `digest`: the weak memories of one session that forgetting consolidated before archiving them.
CommunityKind = Literal["entities", "cluster", "digest"]


class CommunityNode(BaseModel):
    """A group found in the memory's own structure: `entities` from community detection on the entity
    graph (members are entity keys), `cluster` from clustering memory embeddings (members are memory
    ids). The id is kept across runs for the same group; members are replaced by each run."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    community_id: str
    kind: CommunityKind
    label: str
    members: tuple[str, ...]
    size: int
    sessions: int = 0
    insight_memory_id: str = ""
    sources: tuple[str, ...] = ()
    run_id: str = ""


class CitingGroup(BaseModel):
    """A Pattern or Community whose insight quotes some memory: what erasing that memory must rebuild."""

    model_config = ConfigDict(frozen=True)

    label: Literal["Pattern", "Community"]
    group_id: str
    insight_memory_id: str
    sources: tuple[str, ...]


class MemoryUse(BaseModel):
    """A memory was used (returned by Recall): one trace of its base-level activation. `use_id` makes a
    redelivered use count once."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    memory_id: str
    use_id: str
    used_at: AwareDatetime


class UseHistory(BaseModel):
    """How often a memory was used, and when, most recent last (at most the last few)."""

    model_config = ConfigDict(frozen=True)

    count: int
    recent: tuple[AwareDatetime, ...]


class Supersession(BaseModel):
    """A newer memory replaces an older one (a correction, or the same attribute with a new value):
    stored as `newer SUPERSEDES older`, with when it became known, so `as_of` can say what was
    believed before."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    newer_id: str
    older_id: str
    reason: str
    recorded_at: AwareDatetime


# All but `current` say a memory no longer holds as said; `current` is a conditional plan whose condition
# came true ("should I change jobs, I'd take the train" once the job changed).
VerdictStatus = Literal["disproven", "downgraded", "retracted", "deleted_by_user", "uncertain", "current"]
# Left out of a default recall: the speaker took them back.
WITHDRAWN_STATUSES: frozenset[str] = frozenset({"retracted", "deleted_by_user"})


class Verdict(BaseModel):
    """Later knowledge about a memory that is not a replacement: `disproven` (shown wrong, by
    `evidence_id` or the reason), `retracted` (its speaker took it back), `deleted_by_user` (its speaker
    asked for it not to be kept), `downgraded` (less certain, e.g. an insight one of whose sources was
    invalidated), `uncertain` (what it depends on changed, by `evidence_id`) or `current` (a conditional
    plan whose condition `evidence_id` met). Kept with when it became known, so `as_of` can say what was
    believed before, and with when the change happened in the world (`changed_at`, the evidence's own
    time), so `valid_at` can say what held then; a memory's newest verdict is its status."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    memory_id: str
    verdict_id: str = Field(min_length=1, max_length=128)
    status: VerdictStatus
    evidence_id: str = ""
    reason: str = Field(default="", max_length=1024)
    recorded_at: AwareDatetime
    changed_at: AwareDatetime | None = None


# `depends_on`: the memory holds only while its condition does ("I only go to that gym because it is
# near my flat"). `replaces_if`: a plan that takes over once its condition comes true ("should I change
# jobs, I'd take the train instead").
DependencyKind = Literal["depends_on", "replaces_if"]


class Dependency(BaseModel):
    """A memory that says what it depends on, kept as a typed edge (`DEPENDS_ON` / `REPLACES_IF`) to the
    memory that states the condition when one is known, with the condition's words on the memory so a
    later change can be matched to it without an LLM."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    memory_id: str
    kind: DependencyKind
    condition: str = Field(min_length=1, max_length=300)
    # The condition's content words, stemmed: what a changing memory must share to be about it; and the
    # names among them, any one of which a change may name to be about it ("Python" in "stuck on Python 3.8").
    keys: tuple[str, ...]
    names: tuple[str, ...] = ()
    # depends_on: the memory that states the condition ("my flat is on Harbour Street"); replaces_if: the
    # memory the plan would replace ("I drive to work" for "... the train instead of driving"). Empty when
    # none was found.
    upstream_id: str = ""
    # Who said it (the "Name: " its text starts with, empty without one) and the content words of what it
    # says holds: what a change and a cascade match against without reading the memory again.
    speaker: str = ""
    then_keys: tuple[str, ...] = ()
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
