"""The graph port, by role. Every method is scoped by namespace; writes are idempotent (MERGE semantics).

A service names only the roles it uses (its own `ports.py`); `GraphStore` is every role at once, what
the factory opens and each adapter implements (`embedded/<role>.py` and `neo4j/<role>.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from somnia_graph_store.models import (
    CitingGroup,
    CommunityKind,
    CommunityNode,
    Dependency,
    EntityTurns,
    FeedbackCounts,
    FeedbackNode,
    MemoryNode,
    MemoryUse,
    Mention,
    PatternNode,
    SessionNode,
    SessionPage,
    Similarity,
    Supersession,
    ToolUse,
    TurnNode,
    TurnRef,
    UseHistory,
    Verdict,
)

Label = Literal["Session", "Turn", "Memory", "Entity", "Tool", "Agent", "Feedback", "Pattern", "Community"]
LABELS: tuple[Label, ...] = (
    "Session",
    "Turn",
    "Memory",
    "Entity",
    "Tool",
    "Agent",
    "Feedback",
    "Pattern",
    "Community",
)


# How many use times a memory keeps exactly; older uses are a count (base-level activation's
# approximation for them needs only that and the memory's age).
RECENT_USES = 8


class GraphStoreError(RuntimeError):
    """The graph store could not do what was asked; the message says why."""


class GraphLifecycle(Protocol):
    """What every user of the graph does: create the schema, count nodes, close."""

    async def ensure_schema(self) -> None:
        """Create constraints and indexes (idempotent)."""
        ...

    async def count(self, namespace: str, label: Label) -> int: ...

    async def reachable(self) -> bool:
        """Whether the graph answers now (readiness probes ask once a second; never raises)."""
        ...

    async def aclose(self) -> None: ...


class LinkWriter(Protocol):
    """The graph service's writes: what sessions, turns and memories are and how they connect."""

    async def upsert_sessions(self, sessions: Sequence[SessionNode]) -> None:
        """Merge sessions (and the Agent that RAN each); empty/None fields never overwrite known values."""
        ...

    async def upsert_turns(self, turns: Sequence[TurnNode]) -> None:
        """Merge turns, link each PART_OF its session (created if unknown) and relink NEXT in order."""
        ...

    async def upsert_memories(self, memories: Sequence[MemoryNode]) -> None:
        """Merge memories and link each PART_OF its turn (created if unknown)."""
        ...

    async def upsert_mentions(self, mentions: Sequence[Mention]) -> None:
        """Merge entities and the turns' MENTIONS edges to them."""
        ...

    async def upsert_tool_uses(self, uses: Sequence[ToolUse]) -> None:
        """Merge tools and the turns' USED_TOOL edges to them."""
        ...

    async def upsert_similarities(self, pairs: Sequence[Similarity]) -> None:
        """Merge SIMILAR_TO edges (both ways) with their score."""
        ...

    async def upsert_feedback(self, feedback: Sequence[FeedbackNode]) -> None:
        """Merge feedback nodes by id with a FEEDBACK_ON edge to their memory or session; a session's
        succeeded/failed report also sets its outcome."""
        ...


class RecallReader(Protocol):
    """The reads that ranking and warm packs make."""

    async def session_turns(self, namespace: str, session_id: str) -> list[str]:
        """Turn ids of a session in conversation order (the NEXT chain: time, then arrival), as far as
        its turn events have been linked."""
        ...

    async def turn_distances(self, namespace: str, turns: Sequence[TurnRef], hops: int) -> list[dict[str, int]]:
        """For each turn (in order): the turn ids within `hops` NEXT steps of it, either direction, each
        with its distance. Many turns in one read: recall asks it for all its seeds at once."""
        ...

    async def memories_of_turn(self, namespace: str, session_id: str, turn_id: str) -> list[str]: ...

    async def entity_turns(self, namespace: str, keys: Sequence[str], limit: int) -> list[EntityTurns]:
        """For each known entity key: its mention count and up to `limit` turns that mention it (unknown
        keys are left out)."""
        ...

    async def similar_memories(
        self, namespace: str, memory_ids: Sequence[str], limit: int
    ) -> dict[str, list[tuple[str, float]]]:
        """Each memory's SIMILAR_TO neighbours, best first, at most `limit` each."""
        ...

    async def feedback_counts(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, FeedbackCounts]:
        """Helped / misled reports per memory (memories without any are left out)."""
        ...

    async def agent_sessions(self, namespace: str, agent: str, limit: int) -> list[str]:
        """Session ids the agent RAN, most recently started first."""
        ...

    async def agent_tools(self, namespace: str, agent: str, limit: int, sessions: int = 50) -> list[tuple[str, int]]:
        """Tools the agent's `sessions` most recent sessions used (USED_TOOL) or were given (OFFERED),
        most used first, with counts."""
        ...

    async def insight_sources(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each insight memory among `memory_ids`, the memories it was made from (its provenance)."""
        ...

    async def pattern_success(self, namespace: str, turns: Sequence[TurnRef]) -> dict[TurnRef, float]:
        """For each turn that SUPPORTS a pattern with reported outcomes, the best lower credible bound of
        success among them (turns that support none are left out: a prior alone proves nothing)."""
        ...


class DreamStore(Protocol):
    """What dreaming reads and writes: session digests, patterns, communities."""

    async def session_digests(
        self, namespace: str, *, since: datetime, until: datetime, after: str = "", limit: int = 200
    ) -> SessionPage:
        """The next `limit` sessions by id after `after`, each with its turns (tools, entity keys) in
        order; sessions with no turn in [since, until) are read but left out of the page."""
        ...

    async def upsert_patterns(self, patterns: Sequence[PatternNode]) -> None:
        """Merge patterns by id; each replaces its SUPPORTS edges (from its supporting turns)."""
        ...

    async def upsert_communities(self, communities: Sequence[CommunityNode]) -> None:
        """Merge communities by id; each replaces its MEMBER_OF edges (from entities or memories)."""
        ...

    async def communities(self, namespace: str, kind: CommunityKind) -> list[CommunityNode]:
        """The communities of a kind with their members, for the next run to keep their ids."""
        ...


class ErasureStore(Protocol):
    """What erasure removes or rewrites."""

    async def memories_quoting(self, namespace: str, memory_ids: Sequence[str]) -> list[str]:
        """The memories that QUOTE any of `memory_ids` (negative memories about them), sorted."""
        ...

    async def erase_sessions(self, namespace: str, session_ids: Sequence[str]) -> int:
        """Erase sessions with their turns, memories and the feedback on them, every edge touching them,
        and the entities no remaining turn mentions; returns the number of nodes removed."""
        ...

    async def erase_memories(self, namespace: str, memory_ids: Sequence[str]) -> int:
        """Erase memories and the feedback on them; a turn left with no memory goes too (its neighbours
        are chained NEXT again), and so do the entities no remaining turn mentions. Returns nodes removed."""
        ...

    async def set_group_insight(
        self,
        namespace: str,
        label: Literal["Pattern", "Community"],
        group_id: str,
        insight_memory_id: str,
        sources: Sequence[str],
    ) -> None:
        """Point a group at its (rebuilt) insight and sources; an empty id means it has none any more."""
        ...

    async def delete_namespace(self, namespace: str) -> int:
        """Remove every node and edge of a namespace; returns the number of nodes removed."""
        ...

    async def scrub(self, namespace: str) -> None:
        """Make what was erased from `namespace` unreadable on disk as far as the store allows (see
        docs/security.md); erasure calls it last. Idempotent."""
        ...


class UsesAndVerdicts(Protocol):
    """What is known about a memory after it was written: its uses, supersessions and verdicts, and the
    insights made from it (which a verdict on it cascades to)."""

    async def insights_citing(self, namespace: str, memory_ids: Sequence[str]) -> list[CitingGroup]:
        """The Pattern and Community nodes whose insight quotes any of `memory_ids`."""
        ...

    async def record_uses(self, uses: Sequence[MemoryUse]) -> None:
        """Count each use on its memory and keep the last RECENT_USES times (a use id seen among them is
        not counted again); memories the graph does not know are skipped."""
        ...

    async def memory_uses(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, UseHistory]:
        """Use counts and recent use times (memories never used are left out)."""
        ...

    async def upsert_supersessions(self, supersessions: Sequence[Supersession]) -> None:
        """Merge `newer SUPERSEDES older` edges (both memories are created if unknown)."""
        ...

    async def superseded(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, Supersession]:
        """For each of `memory_ids` that a memory recorded by `as_of` (default: any time) supersedes,
        the most recent such supersession."""
        ...

    async def upsert_verdicts(self, verdicts: Sequence[Verdict]) -> None:
        """Keep verdicts on their memories (created if unknown), merged by verdict id; they go when the
        memory is erased."""
        ...

    async def verdicts(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, Verdict]:
        """For each of `memory_ids` with a verdict recorded by `as_of` (default: any time), the newest."""
        ...

    async def made_current(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, list[str]]:
        """For each of `memory_ids` that is the evidence of a `current` verdict recorded by `as_of` (the news
        that made a conditional plan come true), the plans it made current: the way back from a trigger to
        its plan, which `verdicts` gives only from the plan."""
        ...

    async def upsert_dependencies(self, dependencies: Sequence[Dependency]) -> None:
        """Keep each dependency on its memory (one per kind; the memory is created if unknown), with a
        DEPENDS_ON or REPLACES_IF edge to its upstream memory when known. Merged: a redelivery adds none."""
        ...

    async def dependencies(self, namespace: str) -> list[Dependency]:
        """Every dependency stated in the namespace, oldest first (by when it was said)."""
        ...


class GraphStore(GraphLifecycle, LinkWriter, RecallReader, DreamStore, ErasureStore, UsesAndVerdicts, Protocol):
    """Every role at once: what `open_graph_store` returns."""
