"""gRPC CaptureService: proto in, service call, proto out. Errors become status codes here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from nats.errors import Error as NatsError
from nats.errors import MaxPayloadError
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia_auth import PermissionDenied, QuotaExceeded, authorize, refuse_over_quota
from somnia_telemetry import ServiceMetrics

from somnia_capture.service import CaptureService, TurnAck
from somnia_capture.validation import InvalidInput, TurnInput

ROLE_NAMES = {
    capture_pb2.ROLE_USER: "user",
    capture_pb2.ROLE_ASSISTANT: "assistant",
    capture_pb2.ROLE_SYSTEM: "system",
    capture_pb2.ROLE_TOOL: "tool",
}
OUTCOME_NAMES = {
    capture_pb2.SESSION_OUTCOME_UNSPECIFIED: "unspecified",
    capture_pb2.SESSION_OUTCOME_SUCCEEDED: "succeeded",
    capture_pb2.SESSION_OUTCOME_FAILED: "failed",
    capture_pb2.SESSION_OUTCOME_ABANDONED: "abandoned",
}
T = TypeVar("T")


def to_datetime(message: Timestamp, field: str) -> datetime:
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(
            f"{field} is not a valid time (seconds={message.seconds}, nanos={message.nanos}): {exc}"
        ) from exc


def optional_time(parent: object, field: str, label: str) -> datetime | None:
    if not parent.HasField(field):  # type: ignore[attr-defined]
        return None
    return to_datetime(getattr(parent, field), label)


def to_turn_input(turn: capture_pb2.Turn, position: str) -> TurnInput:
    return TurnInput(
        turn_id=turn.turn_id,
        role=ROLE_NAMES.get(turn.role, ""),
        content=turn.content,
        occurred_at=optional_time(turn, "occurred_at", f"{position}: occurred_at"),
        tool_name=turn.tool_call.name,
        tool_arguments_json=turn.tool_call.arguments_json,
        tool_result=turn.tool_call.result,
        speaker=turn.speaker,
    )


def count_acks(metrics: ServiceMetrics, acks: list[TurnAck]) -> None:
    for ack in acks:
        metrics.turns_captured.labels("duplicate" if ack.duplicate else "accepted").inc()


def to_ack(ack: TurnAck) -> capture_pb2.TurnAck:
    return capture_pb2.TurnAck(turn_id=ack.turn_id, sequence=ack.sequence, duplicate=ack.duplicate)


async def guarded(
    context: grpc.aio.ServicerContext, call: Callable[[], Awaitable[T]], metrics: ServiceMetrics | None = None
) -> T:
    """Run a use case, turning our exceptions into gRPC statuses with messages."""
    try:
        return await call()
    except PermissionDenied as exc:
        if metrics:
            metrics.capture_rejected.labels("PERMISSION_DENIED").inc()
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
    except QuotaExceeded as exc:
        if metrics:
            metrics.capture_rejected.labels("RESOURCE_EXHAUSTED").inc()
        await refuse_over_quota(context, str(exc), exc.retry_after_s)
    except InvalidInput as exc:
        if metrics:
            metrics.capture_rejected.labels("INVALID_ARGUMENT").inc()
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    except MaxPayloadError as exc:
        if metrics:
            metrics.capture_rejected.labels("INVALID_ARGUMENT").inc()
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, f"the event is larger than the bus accepts ({exc}); send less per turn"
        )
    except (NatsError, TimeoutError) as exc:
        if metrics:
            metrics.capture_rejected.labels("UNAVAILABLE").inc()
        # Some turns of a batch may already be stored: a resend is stored once only when the turns carry
        # turn_id or occurred_at (otherwise their derived ids include the capture time).
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            f"the event bus did not accept the write ({exc!r}); retry later (resends are de-duplicated "
            "for turns that carry turn_id or occurred_at)",
        )
    raise AssertionError("unreachable: abort raises")


class CaptureServicer(capture_pb2_grpc.CaptureServiceServicer):
    def __init__(self, service: CaptureService, metrics: ServiceMetrics) -> None:
        self._service = service
        self._metrics = metrics

    async def StartSession(
        self, request: capture_pb2.StartSessionRequest, context: grpc.aio.ServicerContext
    ) -> capture_pb2.StartSessionResponse:
        async def call() -> str:
            authorize("capture", request.namespace)
            return await self._service.start_session(
                request.namespace,
                request.session_id,
                agent=request.agent,
                opening=request.opening,
                tools=list(request.tools),
                started_at=optional_time(request, "started_at", "started_at"),
            )

        return capture_pb2.StartSessionResponse(session_id=await guarded(context, call, self._metrics))

    async def Capture(
        self, request: capture_pb2.CaptureRequest, context: grpc.aio.ServicerContext
    ) -> capture_pb2.CaptureResponse:
        async def call() -> list[TurnAck]:
            authorize("capture", request.namespace)
            turns = [to_turn_input(t, f"turns[{i}]") for i, t in enumerate(request.turns)]
            return await self._service.capture(request.namespace, request.session_id, turns)

        acks = await guarded(context, call, self._metrics)
        count_acks(self._metrics, acks)
        return capture_pb2.CaptureResponse(acks=[to_ack(a) for a in acks])

    async def CaptureStream(
        self,
        request_iterator: AsyncIterator[capture_pb2.CaptureStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> capture_pb2.CaptureStreamResponse:
        # Each turn is published as it arrives: a bad turn ends the stream, but every turn before it
        # stays accepted, and the error says how many that was.
        response = capture_pb2.CaptureStreamResponse()
        opened: set[str] = set()  # namespaces this stream was admitted to (counted once by the rate limit)
        async for request in request_iterator:
            position = f"message {len(response.acks)}"

            async def call(request: capture_pb2.CaptureStreamRequest = request, position: str = position) -> TurnAck:
                authorize("capture", request.namespace, count=request.namespace not in opened)
                opened.add(request.namespace)
                try:
                    turn = to_turn_input(request.turn, position)
                    event = self._service.prepare_turn(request.namespace, request.session_id, turn, position)
                except InvalidInput as exc:
                    raise InvalidInput(
                        f"{exc} (the {len(response.acks)} turns before it in this stream were accepted)"
                    ) from exc
                (ack,) = await self._service.publish_turns([event])
                return ack

            ack = await guarded(context, call, self._metrics)
            count_acks(self._metrics, [ack])
            response.acks.append(to_ack(ack))
            if ack.duplicate:
                response.duplicates += 1
            else:
                response.accepted += 1
        return response

    async def EndSession(
        self, request: capture_pb2.EndSessionRequest, context: grpc.aio.ServicerContext
    ) -> capture_pb2.EndSessionResponse:
        async def call() -> None:
            authorize("capture", request.namespace)
            if request.outcome not in OUTCOME_NAMES:
                raise InvalidInput(f"outcome {request.outcome} is unknown; use a SessionOutcome value")
            await self._service.end_session(
                request.namespace,
                request.session_id,
                outcome=OUTCOME_NAMES[request.outcome],
                ended_at=optional_time(request, "ended_at", "ended_at"),
            )

        await guarded(context, call, self._metrics)
        return capture_pb2.EndSessionResponse(session_id=request.session_id)
