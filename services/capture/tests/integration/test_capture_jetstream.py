"""capture against a real nats-server: streams, sequence numbers and de-duplication by turn id."""

from pathlib import Path

import grpc
import nats
import pytest
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import write_keys
from somnia_capture.main import create_app
from somnia_capture.settings import CaptureSettings
from somnia_contracts import SESSION_STREAM
from somnia_nats_server import NatsServer

pytestmark = pytest.mark.integration


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """create_app reads its keys from the environment, as a deployed capture does."""
    path = tmp_path / "api-keys.json"
    monkeypatch.setenv("SOMNIA_AUTH_API_KEYS_FILE", str(path))
    return write_keys(path, {"tester": (["a/*"], ["capture"])})["tester"]


async def test_repeated_turn_ids_are_acknowledged_but_stored_once(nats_server: NatsServer, token: str) -> None:
    app = create_app(CaptureSettings(port=0, nats_url=nats_server.url))
    port = await app.start()
    try:
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            stub = capture_pb2_grpc.CaptureServiceStub(channel)
            turns = [
                capture_pb2.Turn(turn_id=f"t{i}", role=capture_pb2.ROLE_USER, content=f"turn {i}") for i in range(3)
            ]
            first = await stub.Capture(capture_pb2.CaptureRequest(namespace="a/b/c", session_id="s1", turns=turns))
            again = await stub.Capture(capture_pb2.CaptureRequest(namespace="a/b/c", session_id="s1", turns=turns))
            other_session = await stub.Capture(
                capture_pb2.CaptureRequest(namespace="a/b/c", session_id="s2", turns=turns[:1])
            )
    finally:
        await app.stop()
    assert [a.sequence for a in first.acks] == [1, 2, 3] and not any(a.duplicate for a in first.acks)
    assert all(a.duplicate for a in again.acks) and [a.sequence for a in again.acks] == [1, 2, 3]
    assert not other_session.acks[0].duplicate  # the same turn id in another session is another turn
    client = await nats.connect(nats_server.url)
    info = await client.jetstream().stream_info(SESSION_STREAM.name)
    await client.close()
    assert info.state.messages == 4
    assert info.config.duplicate_window == SESSION_STREAM.duplicate_window_s


async def test_capture_reports_unavailable_when_nats_is_gone(nats_server: NatsServer, token: str) -> None:
    app = create_app(CaptureSettings(port=0, nats_url=nats_server.url, publish_timeout_s=0.5))
    port = await app.start()
    nats_server.kill()
    try:
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            stub = capture_pb2_grpc.CaptureServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Capture(
                    capture_pb2.CaptureRequest(
                        namespace="a/b/c", session_id="s1", turns=[capture_pb2.Turn(role=1, content="x")]
                    ),
                    timeout=10,
                )
    finally:
        await app.stop()
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "retry later" in (caught.value.details() or "")
