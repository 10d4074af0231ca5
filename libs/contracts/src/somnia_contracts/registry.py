"""One registry of every event Somnia publishes: its model, stream, subject, message id, who publishes it
and who reads it. Publishers ask it where an event goes (`route`); the AsyncAPI document
(docs/asyncapi.yaml, `scripts/gen_asyncapi.py`) is generated from it; its tests check that each
`event_type` is the subject's kind (`session.turn` is published on `somnia.v1.session.turn.<ns>.<key>`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from somnia_contracts.events import (
    CacheWarmed,
    CommunityDetected,
    DreamRequested,
    InsightConsolidated,
    MemoryArchived,
    MemoryFeedback,
    MemoryForgotten,
    MemoryIndexed,
    MemoryRecalled,
    MemoryRestored,
    MemoryWithdrawn,
    PatternMined,
    SessionClosed,
    SessionStarted,
    TurnCaptured,
)
from somnia_contracts.subjects import (
    AUDIT_STREAM,
    CACHE_STREAM,
    DREAM_STREAM,
    MEMORY_STREAM,
    PREFIX,
    SESSION_STREAM,
    MsgIds,
    StreamSpec,
)


@dataclass(frozen=True)
class EventKind:
    """Where one kind of event lives. Its subject is `somnia.v1.<event_type>.<namespace>.<key>`, where the
    key is the event's session, dream run or audit id (`key_field`)."""

    model: type[BaseModel]
    stream: StreamSpec
    key_field: str
    msg_id: Callable[[Any], str]
    published_by: tuple[str, ...]
    consumed_by: tuple[str, ...]

    @property
    def event_type(self) -> str:
        return str(self.model.model_fields["event_type"].default)

    @property
    def wildcard(self) -> str:
        """What a consumer of every namespace binds to."""
        return f"{PREFIX}.{self.event_type}.>"

    def subject(self, event: Any) -> str:
        """`event` is an instance of `model` (every registered model has a namespace and the key field)."""
        return f"{PREFIX}.{self.event_type}.{event.namespace}.{getattr(event, self.key_field)}"


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind(
        SessionStarted,
        SESSION_STREAM,
        "session_id",
        lambda e: MsgIds.session_started(e.namespace, e.session_id),
        published_by=("capture",),
        consumed_by=("graph", "cache-warming", "recall"),
    ),
    EventKind(
        TurnCaptured,
        SESSION_STREAM,
        "session_id",
        lambda e: MsgIds.turn(e.namespace, e.session_id, e.turn_id),
        published_by=("capture",),
        consumed_by=("embedding", "graph", "forgetting"),
    ),
    EventKind(
        SessionClosed,
        SESSION_STREAM,
        "session_id",
        lambda e: MsgIds.session_closed(e.namespace, e.session_id),
        published_by=("capture",),
        consumed_by=("graph", "forgetting"),
    ),
    EventKind(
        MemoryIndexed,
        MEMORY_STREAM,
        "session_id",
        lambda e: MsgIds.memory_indexed(e.namespace, e.session_id, e.turn_id),
        # Embedding for captured turns; MemoryWriter for negative memories, digests (forgetting) and insights.
        published_by=("embedding", "forgetting", "dreaming"),
        consumed_by=("graph",),
    ),
    EventKind(
        MemoryFeedback,
        MEMORY_STREAM,
        "session_id",
        lambda e: MsgIds.feedback(e.namespace, e.feedback_id),
        published_by=("recall",),
        consumed_by=("graph", "forgetting"),
    ),
    EventKind(
        MemoryRecalled,
        MEMORY_STREAM,
        "session_id",
        lambda e: MsgIds.recalled(e.namespace, e.session_id, e.recall_id),
        published_by=("recall",),
        consumed_by=("graph",),
    ),
    EventKind(
        MemoryWithdrawn,
        MEMORY_STREAM,
        "session_id",
        lambda e: f"withdrawn/{e.namespace}/{e.by_memory_id}/{e.memory_ids[0]}/{len(e.memory_ids)}",
        published_by=("graph",),
        # recall erases them when asked to; forgetting marks the adapters holding them stale
        consumed_by=("recall", "forgetting"),
    ),
    EventKind(
        MemoryArchived,
        MEMORY_STREAM,
        "session_id",
        lambda e: f"archived/{e.namespace}/{e.session_id}/{e.memory_ids[0]}/{len(e.memory_ids)}",
        published_by=("forgetting",),
        consumed_by=(),
    ),
    EventKind(
        MemoryRestored,
        MEMORY_STREAM,
        "session_id",
        lambda e: f"restored/{e.namespace}/{e.session_id}/{e.restored_at.timestamp()}/{e.memory_ids[0]}",
        published_by=("forgetting",),
        consumed_by=(),
    ),
    EventKind(
        CacheWarmed,
        CACHE_STREAM,
        "session_id",
        # One per pack built: a redelivered start that finds the pack stored announces it once.
        lambda e: f"warmed/{e.key}/{e.items}/{e.build_ms}",
        published_by=("cache-warming",),
        consumed_by=(),
    ),
    EventKind(
        DreamRequested,
        DREAM_STREAM,
        "run_id",
        lambda e: MsgIds.dream_requested(e.namespace, e.run_id),
        # recall (erasure) and forgetting (retraction, supersession) ask to retrain a stale adapter
        published_by=("cli", "dreaming", "recall", "forgetting"),
        consumed_by=("dreaming",),
    ),
    EventKind(
        PatternMined,
        DREAM_STREAM,
        "run_id",
        lambda e: MsgIds.dream_found("pattern", e.namespace, e.run_id, e.pattern_id),
        published_by=("dreaming",),
        consumed_by=(),
    ),
    EventKind(
        CommunityDetected,
        DREAM_STREAM,
        "run_id",
        lambda e: MsgIds.dream_found("community", e.namespace, e.run_id, e.community_id),
        published_by=("dreaming",),
        consumed_by=(),
    ),
    EventKind(
        InsightConsolidated,
        DREAM_STREAM,
        "run_id",
        lambda e: MsgIds.dream_found("insight", e.namespace, e.run_id, e.memory_id),
        published_by=("dreaming",),
        consumed_by=(),
    ),
    EventKind(
        MemoryForgotten,
        AUDIT_STREAM,
        "audit_id",
        lambda e: MsgIds.memory_forgotten(e.namespace, e.audit_id),
        published_by=("recall",),
        consumed_by=(),
    ),
)
BY_MODEL: dict[type[BaseModel], EventKind] = {kind.model: kind for kind in EVENT_KINDS}


@dataclass(frozen=True)
class Route:
    """Where one event is published: its subject, its Nats-Msg-Id and its stream's name."""

    subject: str
    msg_id: str
    stream: str


def published_subjects(service: str) -> list[str]:
    """The event subjects `service` may publish on (NATS publish permissions are made from this)."""
    return sorted({f"somnia.v1.{kind.event_type}.>" for kind in EVENT_KINDS if service in kind.published_by})


def kind_of(event: BaseModel) -> EventKind:
    try:
        return BY_MODEL[type(event)]
    except KeyError:
        raise TypeError(f"{type(event).__name__} is not a registered event (somnia_contracts.registry)") from None


def route(event: BaseModel) -> Route:
    kind = kind_of(event)
    return Route(kind.subject(event), kind.msg_id(event), kind.stream.name)
