"""Turn requests into events, or say exactly what is wrong with them.

Every message here ends up in a gRPC INVALID_ARGUMENT status, so each says what to fix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from somnia_contracts import (
    ROLES,
    IdentifierError,
    ToolCallPayload,
    TurnCaptured,
    validate_namespace,
    validate_session_id,
    validate_turn_id,
)

MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


class InvalidInput(ValueError):
    """Input that cannot be accepted; the message says what to fix."""


@dataclass(frozen=True)
class TurnInput:
    """A turn as a client sent it, before validation (transport-neutral)."""

    turn_id: str
    role: str
    content: str
    occurred_at: datetime | None
    tool_name: str = ""
    tool_arguments_json: str = ""
    tool_result: str = ""
    speaker: str = ""


MAX_SPEAKER_CHARS = 128


def check_namespace(namespace: str) -> str:
    try:
        return validate_namespace(namespace)
    except IdentifierError as exc:
        raise InvalidInput(str(exc)) from exc


def check_session_id(session_id: str) -> str:
    try:
        return validate_session_id(session_id)
    except IdentifierError as exc:
        raise InvalidInput(str(exc)) from exc


def check_time(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput(f"{field} has no time zone; send an aware time (UTC)")
    if not MIN_TIME <= value <= MAX_TIME:
        raise InvalidInput(f"{field} {value.isoformat()} is out of range; send a time between 1970 and 9999")
    return value


def derive_turn_id(namespace: str, session_id: str, turn: TurnInput, occurred_at: datetime) -> str:
    """A content-addressed id, so that resending the same turn (same time) is stored once."""
    material = json.dumps(
        [
            namespace,
            session_id,
            turn.role,
            turn.content,
            occurred_at.isoformat(),
            turn.tool_name,
            turn.tool_arguments_json,
            turn.tool_result,
            # Only when given, so the ids of turns without a speaker stay what they were.
            *([turn.speaker] if turn.speaker else []),
        ],
        ensure_ascii=False,
    )
    return "t-" + hashlib.sha256(material.encode()).hexdigest()[:32]


def build_turn_event(
    namespace: str,
    session_id: str,
    turn: TurnInput,
    *,
    position: str,
    max_turn_bytes: int,
    now: datetime,
) -> TurnCaptured:
    """Validate one turn and build its event. `position` names the turn in error messages."""
    if turn.role not in ROLES:
        raise InvalidInput(f"{position}: role is required; use one of {', '.join(ROLES)}")
    has_tool = bool(turn.tool_name or turn.tool_arguments_json or turn.tool_result)
    if not turn.content.strip() and not has_tool:
        raise InvalidInput(f"{position}: content is empty; send the turn's text (or a tool_call)")
    if len(turn.speaker) > MAX_SPEAKER_CHARS or any(not ch.isprintable() for ch in turn.speaker):
        raise InvalidInput(
            f"{position}: speaker must be one line of at most {MAX_SPEAKER_CHARS} printable characters (a name)"
        )
    if has_tool and not turn.tool_name.strip():
        raise InvalidInput(f"{position}: tool_call.name is empty; name the tool that was called")
    size = sum(
        len(part.encode("utf-8")) for part in (turn.content, turn.tool_name, turn.tool_arguments_json, turn.tool_result)
    )
    if size > max_turn_bytes:
        raise InvalidInput(
            f"{position} is {size:,} bytes, over the limit of {max_turn_bytes:,} bytes "
            "(SOMNIA_CAPTURE_MAX_TURN_BYTES); split it into several turns"
        )
    if turn.tool_arguments_json:
        try:
            json.loads(turn.tool_arguments_json)
        except (ValueError, RecursionError) as exc:
            raise InvalidInput(f"{position}: tool_call.arguments_json is not valid JSON ({exc})") from exc
    occurred_at = check_time(turn.occurred_at, f"{position}: occurred_at") or now
    turn_id = turn.turn_id or derive_turn_id(namespace, session_id, turn, occurred_at)
    try:
        validate_turn_id(turn_id)
    except IdentifierError as exc:
        raise InvalidInput(f"{position}: {exc}") from exc
    tool_call = (
        ToolCallPayload(name=turn.tool_name, arguments_json=turn.tool_arguments_json, result=turn.tool_result)
        if has_tool
        else None
    )
    return TurnCaptured(
        namespace=namespace,
        session_id=session_id,
        turn_id=turn_id,
        role=turn.role,  # type: ignore[arg-type]
        content=turn.content,
        speaker=turn.speaker.strip(),
        tool_call=tool_call,
        occurred_at=occurred_at,
        captured_at=now,
    )
