from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from somnia_contracts import (
    EVENT_TYPES,
    IdentifierError,
    Subjects,
    TurnCaptured,
    validate_namespace,
    validate_session_id,
)


@pytest.mark.parametrize("namespace", ["acme/bot/alice", "a/b/c", "t_1/agent-2/u"])
def test_well_formed_namespaces_pass(namespace: str) -> None:
    assert validate_namespace(namespace) == namespace


@pytest.mark.parametrize(
    "namespace", ["", "acme", "acme/bot", "Acme/bot/alice", "a/b/c/d", "a//c", "a/b/c d", "a.b/c/d"]
)
def test_malformed_namespaces_say_the_shape(namespace: str) -> None:
    with pytest.raises(IdentifierError, match="tenant/agent/user"):
        validate_namespace(namespace)


@pytest.mark.parametrize("session_id", ["", "a.b", "has space", "x" * 129, "a*", "a>"])
def test_session_ids_that_break_subjects_are_refused(session_id: str) -> None:
    with pytest.raises(IdentifierError):
        validate_session_id(session_id)


def test_subjects_are_versioned_and_end_with_namespace_and_session() -> None:
    subject = Subjects.session_turn("acme/bot/alice", "s-1")
    assert subject == "somnia.v1.session.turn.acme/bot/alice.s-1"
    assert subject.startswith(Subjects.SESSION_TURN_ALL[:-1])


def test_events_round_trip_and_carry_their_schema_version() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    event = TurnCaptured(
        namespace="a/b/c",
        session_id="s",
        turn_id="t1",
        role="user",
        content="hi",
        occurred_at=now,
        captured_at=now,
    )
    body = event.model_dump_json()
    assert TurnCaptured.model_validate_json(body) == event
    assert event.schema_version == 1
    assert EVENT_TYPES[event.event_type] is TurnCaptured


def test_unknown_schema_versions_and_fields_are_rejected() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC).isoformat()
    base = {
        "namespace": "a/b/c",
        "session_id": "s",
        "turn_id": "t",
        "role": "user",
        "content": "x",
        "occurred_at": now,
        "captured_at": now,
    }
    with pytest.raises(ValidationError):
        TurnCaptured.model_validate({**base, "schema_version": 2})
    with pytest.raises(ValidationError):
        TurnCaptured.model_validate({**base, "surprise": 1})
    with pytest.raises(ValidationError):
        TurnCaptured.model_validate({**base, "occurred_at": "2026-11-25T00:00:00"})  # no zone
