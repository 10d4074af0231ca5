"""The capture servicer over a real in-process gRPC channel, publishing into FastStream's TestNatsBroker."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import admin_security
from somnia_bus import JetStreamPublisher
from somnia_capture.service import CaptureService
from somnia_capture.servicer import CaptureServicer
from somnia_contracts import SESSION_STREAM, SessionStarted, Subjects, TurnCaptured
from somnia_grpc_runtime import GrpcServer, ServiceBinding
from somnia_telemetry import create_metrics


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[tuple[capture_pb2_grpc.CaptureServiceStub, list[dict[str, Any]]]]:
    security, token = admin_security(tmp_path)
    broker = NatsBroker()
    received: list[dict[str, Any]] = []

    @broker.subscriber(Subjects.SESSION_ALL, stream=SESSION_STREAM.name)
    async def collect(body: dict[str, Any]) -> None:
        received.append(body)

    async with TestNatsBroker(broker):
        service = CaptureService(JetStreamPublisher(broker), max_turn_bytes=1024, max_turns_per_request=10)
        metrics = create_metrics()
        server = GrpcServer(
            host="127.0.0.1",
            port=0,
            services=[
                ServiceBinding(
                    "somnia.capture.v1.CaptureService",
                    CaptureServicer(service, metrics),
                    capture_pb2_grpc.add_CaptureServiceServicer_to_server,
                )
            ],
            security=security,
        )
        port = await server.start()
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            yield capture_pb2_grpc.CaptureServiceStub(channel), received
        await server.stop()


def user(text: str, turn_id: str = "") -> capture_pb2.Turn:
    return capture_pb2.Turn(turn_id=turn_id, role=capture_pb2.ROLE_USER, content=text)


async def test_capture_publishes_one_event_per_turn(harness) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness
    response = await stub.Capture(
        capture_pb2.CaptureRequest(namespace="a/b/c", session_id="s1", turns=[user("one", "t1"), user("two", "t2")])
    )
    assert [a.turn_id for a in response.acks] == ["t1", "t2"]
    events = [TurnCaptured.model_validate(b) for b in received]
    assert [(e.turn_id, e.content, e.namespace) for e in events] == [
        ("t1", "one", "a/b/c"),
        ("t2", "two", "a/b/c"),
    ]


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"namespace": "Bad", "session_id": "s", "turns": [user("x")]}, "namespace 'Bad' is malformed"),
        ({"namespace": "a/b/c", "session_id": "", "turns": [user("x")]}, "session_id is required"),
        ({"namespace": "a/b/c", "session_id": "s", "turns": []}, "turns is empty"),
        (
            {"namespace": "a/b/c", "session_id": "s", "turns": [user("ok"), user("")]},
            "turns\\[1\\]: content is empty",
        ),
        (
            {"namespace": "a/b/c", "session_id": "s", "turns": [user("x" * 2000)]},
            "over the limit of 1,024 bytes",
        ),
        (
            {
                "namespace": "a/b/c",
                "session_id": "s",
                "turns": [capture_pb2.Turn(role=1, content="x", occurred_at={"seconds": 1, "nanos": -5})],
            },
            "occurred_at is not a valid time",
        ),
    ],
)
async def test_bad_input_is_invalid_argument_and_publishes_nothing(harness, request_kwargs, message) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Capture(capture_pb2.CaptureRequest(**request_kwargs))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() is not None
    assert pytest.approx(0) == 0
    import re

    assert re.search(message, caught.value.details() or ""), caught.value.details()
    assert received == []


async def test_stream_keeps_turns_accepted_before_a_bad_one(harness) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness

    async def requests() -> AsyncIterator[capture_pb2.CaptureStreamRequest]:
        for text in ("first", "second", ""):
            yield capture_pb2.CaptureStreamRequest(namespace="a/b/c", session_id="s1", turn=user(text))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CaptureStream(requests())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "message 2: content is empty" in (caught.value.details() or "")
    assert "the 2 turns before it in this stream were accepted" in (caught.value.details() or "")
    assert [b["content"] for b in received] == ["first", "second"]


async def test_stream_acknowledges_every_turn(harness) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness

    async def requests() -> AsyncIterator[capture_pb2.CaptureStreamRequest]:
        for i in range(5):
            yield capture_pb2.CaptureStreamRequest(namespace="a/b/c", session_id=f"s{i % 2}", turn=user(f"t{i}"))

    response = await stub.CaptureStream(requests())
    assert response.accepted == 5 and len(response.acks) == 5
    assert len(received) == 5


async def test_sessions_start_with_a_generated_id_and_end(harness) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness
    started = await stub.StartSession(
        capture_pb2.StartSessionRequest(namespace="a/b/c", agent="helper", opening="fix the build", tools=["shell"])
    )
    assert started.session_id.startswith("s-")
    await stub.EndSession(
        capture_pb2.EndSessionRequest(
            namespace="a/b/c", session_id=started.session_id, outcome=capture_pb2.SESSION_OUTCOME_SUCCEEDED
        )
    )
    first = SessionStarted.model_validate(received[0])
    assert first.tools == ("shell",) and first.opening == "fix the build"
    assert received[1]["outcome"] == "succeeded"


@pytest.mark.parametrize(
    ("call", "request_obj", "message"),
    [
        ("StartSession", capture_pb2.StartSessionRequest(namespace="a/b/c", agent="x" * 300), "agent is 300"),
        ("StartSession", capture_pb2.StartSessionRequest(namespace="a/b/c", opening="x" * 2000), "opening is over"),
        ("StartSession", capture_pb2.StartSessionRequest(namespace="a/b/c", tools=[""]), "tools must be"),
        ("EndSession", capture_pb2.EndSessionRequest(namespace="a/b/c", session_id="s", outcome=42), "outcome 42"),
        (
            "Capture",
            capture_pb2.CaptureRequest(
                namespace="a/b/c",
                session_id="s",
                turns=[capture_pb2.Turn(role=1, tool_call=capture_pb2.ToolCall(name="t", arguments_json="[" * 900))],
            ),
            "arguments_json is not valid JSON",
        ),
    ],
)
async def test_session_and_tool_limits_are_invalid_argument(harness, call, request_obj, message) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(stub, call)(request_obj)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (caught.value.details() or "")
    assert received == []


async def test_turns_without_times_keep_their_order(harness) -> None:  # type: ignore[no-untyped-def]
    stub, received = harness
    await stub.Capture(
        capture_pb2.CaptureRequest(namespace="a/b/c", session_id="s1", turns=[user("ok"), user("ok"), user("ok")])
    )
    events = [TurnCaptured.model_validate(b) for b in received]
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    assert len({e.turn_id for e in events}) == 3  # the same words three times are three turns
