"""The event registry: every event has one route, and its `event_type` is the kind its subject names."""

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel
from somnia_contracts import (
    EVENT_KINDS,
    EVENT_TYPES,
    MemoryForgotten,
    MsgIds,
    PatternMined,
    Subjects,
    TurnCaptured,
    kind_of,
    route,
)
from somnia_contracts.registry import EventKind

NS, KEY = "acme/bot/alice", "s-1"


def sample(kind: EventKind) -> BaseModel:
    """An instance with the fields that route it (namespace, key); the rest do not matter here."""
    return kind.model.model_construct(namespace=NS, **{kind.key_field: KEY})


def nats_match(pattern: str, subject: str) -> bool:
    want, got = pattern.split("."), subject.split(".")
    for n, token in enumerate(want):
        if token == ">":
            return len(got) > n
        if n >= len(got) or (token != "*" and token != got[n]):
            return False
    return len(want) == len(got)


@pytest.mark.parametrize("kind", EVENT_KINDS, ids=lambda k: k.event_type)
def test_each_subject_names_its_event_type_and_lies_in_its_stream(kind: EventKind) -> None:
    subject = kind.subject(sample(kind))
    assert subject == f"somnia.v1.{kind.event_type}.{NS}.{KEY}"
    assert nats_match(kind.wildcard, subject)
    assert any(nats_match(pattern, subject) for pattern in kind.stream.subjects)
    # Erasing a session or a namespace purges by subject: both patterns must reach every event of it.
    if kind.key_field == "session_id":
        assert nats_match(Subjects.of_session(NS, KEY), subject)
    assert nats_match(Subjects.of_namespace(NS), subject)


def test_event_types_are_unique_and_every_session_event_is_parseable() -> None:
    types = [k.event_type for k in EVENT_KINDS]
    assert len(types) == len(set(types))
    session_events = {k.event_type: k.model for k in EVENT_KINDS if k.model in EVENT_TYPES.values()}
    assert session_events == EVENT_TYPES


def test_routes_agree_with_the_subject_and_msg_id_builders() -> None:
    turn = TurnCaptured(
        namespace=NS,
        session_id=KEY,
        turn_id="t-1",
        role="user",
        content="hello",
        occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
        captured_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    where = route(turn)
    assert where.subject == Subjects.session_turn(NS, KEY)
    assert where.msg_id == MsgIds.turn(NS, KEY, "t-1")
    assert where.stream == "SOMNIA_SESSIONS"
    assert kind_of(PatternMined.model_construct()).wildcard == "somnia.v1.dream.pattern.>"
    assert kind_of(MemoryForgotten.model_construct()).stream.name == "SOMNIA_AUDIT"
    assert kind_of(turn).wildcard == Subjects.SESSION_TURN_ALL


def test_an_unregistered_model_is_refused_with_what_it_is() -> None:
    class Stray(BaseModel):
        namespace: str = NS

    with pytest.raises(TypeError, match="Stray is not a registered event"):
        route(Stray())
