"""The capture use cases: start a session, append turns, end a session."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from somnia_contracts import OUTCOMES, SessionClosed, SessionStarted, TurnCaptured
from somnia_telemetry import attributes

from somnia_capture.ports import EventPublisher
from somnia_capture.storage_quota import StorageGate
from somnia_capture.validation import (
    InvalidInput,
    TurnInput,
    build_turn_event,
    check_namespace,
    check_session_id,
    check_time,
)

MAX_AGENT_CHARS = 256
MAX_TOOLS = 256
MAX_TOOL_NAME_CHARS = 128


@dataclass(frozen=True)
class TurnAck:
    turn_id: str
    sequence: int
    duplicate: bool


def utc_now() -> datetime:
    return datetime.now(UTC)


class CaptureService:
    def __init__(
        self,
        publisher: EventPublisher,
        *,
        max_turn_bytes: int,
        max_turns_per_request: int,
        storage_gate: StorageGate | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._publisher = publisher
        self._storage_gate = storage_gate
        self._max_turn_bytes = max_turn_bytes
        self._max_turns = max_turns_per_request
        self._clock = clock

    def prepare_turns(self, namespace: str, session_id: str, turns: Sequence[TurnInput]) -> list[TurnCaptured]:
        """Validate a whole batch before anything is published: all turns are accepted or none."""
        check_namespace(namespace)
        check_session_id(session_id)
        if not turns:
            raise InvalidInput("turns is empty; send at least one turn")
        if len(turns) > self._max_turns:
            raise InvalidInput(
                f"{len(turns)} turns in one request is over the limit of {self._max_turns}; "
                "send several requests or use CaptureStream"
            )
        now = self._clock()
        # Turns sent without a time keep their order: each is a microsecond after the one before.
        return [
            build_turn_event(
                namespace,
                session_id,
                turn,
                position=f"turns[{i}]",
                max_turn_bytes=self._max_turn_bytes,
                now=now + timedelta(microseconds=i),
            )
            for i, turn in enumerate(turns)
        ]

    def prepare_turn(self, namespace: str, session_id: str, turn: TurnInput, position: str) -> TurnCaptured:
        check_namespace(namespace)
        check_session_id(session_id)
        return build_turn_event(
            namespace,
            session_id,
            turn,
            position=position,
            max_turn_bytes=self._max_turn_bytes,
            now=self._clock(),
        )

    async def publish_turns(self, events: Sequence[TurnCaptured]) -> list[TurnAck]:
        span = trace.get_current_span()
        span.set_attribute(attributes.TURN_COUNT, len(events))
        if events:
            span.set_attribute(attributes.NAMESPACE, events[0].namespace)
            span.set_attribute(attributes.SESSION_ID, events[0].session_id)
            if self._storage_gate:
                await self._storage_gate.admit(events[0].namespace, len(events))
        # One connection keeps publish order, so gathering is still in order per session.
        receipts = await asyncio.gather(*(self._publisher.publish_event(event) for event in events))
        return [
            TurnAck(turn_id=e.turn_id, sequence=r.sequence, duplicate=r.duplicate)
            for e, r in zip(events, receipts, strict=True)
        ]

    async def capture(self, namespace: str, session_id: str, turns: Sequence[TurnInput]) -> list[TurnAck]:
        return await self.publish_turns(self.prepare_turns(namespace, session_id, turns))

    async def start_session(
        self,
        namespace: str,
        session_id: str,
        *,
        agent: str,
        opening: str,
        tools: Sequence[str],
        started_at: datetime | None,
    ) -> str:
        check_namespace(namespace)
        session_id = check_session_id(session_id) if session_id else f"s-{uuid.uuid4().hex}"
        if len(agent) > MAX_AGENT_CHARS:
            raise InvalidInput(f"agent is {len(agent)} characters, over the limit of {MAX_AGENT_CHARS}")
        if len(opening.encode("utf-8")) > self._max_turn_bytes:
            raise InvalidInput(
                f"opening is over the limit of {self._max_turn_bytes:,} bytes (SOMNIA_CAPTURE_MAX_TURN_BYTES); "
                "send the rest as turns"
            )
        if len(tools) > MAX_TOOLS or any(not t or len(t) > MAX_TOOL_NAME_CHARS for t in tools):
            raise InvalidInput(f"tools must be at most {MAX_TOOLS} names of 1-{MAX_TOOL_NAME_CHARS} characters each")
        event = SessionStarted(
            namespace=namespace,
            session_id=session_id,
            agent=agent,
            opening=opening,
            tools=tuple(tools),
            started_at=check_time(started_at, "started_at") or self._clock(),
        )
        await self._publisher.publish_event(event)
        return session_id

    async def end_session(self, namespace: str, session_id: str, *, outcome: str, ended_at: datetime | None) -> None:
        check_namespace(namespace)
        check_session_id(session_id)
        if outcome not in OUTCOMES:
            raise InvalidInput(f"outcome {outcome!r} is unknown; use one of {', '.join(OUTCOMES)}")
        event = SessionClosed(
            namespace=namespace,
            session_id=session_id,
            outcome=outcome,  # type: ignore[arg-type]
            ended_at=check_time(ended_at, "ended_at") or self._clock(),
        )
        await self._publisher.publish_event(event)
