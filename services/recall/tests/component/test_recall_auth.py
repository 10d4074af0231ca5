"""Identity and access on the real recall server: no credentials, the wrong tenant, the wrong scope,
rate limits, TLS and mTLS. A forbidden namespace is refused the same way whether it exists or not."""

import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import (
    Authenticator,
    AuthSettings,
    ClientTls,
    KeyRing,
    RateLimiter,
    ServerSecurity,
    TlsSettings,
    open_aio_channel,
)
from somnia_auth.testing import keyed_security, write_certificates, write_keys
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ACME, GLOBEX = "acme/support-bot/alice", "globex/sales-bot/bob"
GRANTS = {
    "acme-reader": (["acme/*"], ["recall"]),
    "acme-agent": (["acme/support-bot/*"], ["recall", "feedback", "forget"]),
    "acme-admin": (["acme/*"], ["admin"]),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    app: RecallApp
    address: str
    keys: dict[str, str]


async def seeded_store(tmp_path: Path, embedder) -> EmbeddedMemoryStore:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    texts = {ACME: "Alice's order 4411 ships on Friday.", GLOBEX: "Bob's contract renews in March."}
    vectors = await embedder.embed(list(texts.values()))
    await store.upsert(
        [
            MemoryRecord(
                memory_id=f"m-{ns.split('/')[0]}",
                namespace=ns,
                text=text,
                session_id="s1",
                turn_id="t1",
                role="user",
                occurred_at=T0,
                recorded_at=T0,
                embedder=embedder.name,
                vector=vectors[i],
            )
            for i, (ns, text) in enumerate(texts.items())
        ]
    )
    return store


async def serve(tmp_path: Path, embedder, security: ServerSecurity, keys: dict[str, str]) -> Served:  # type: ignore[no-untyped-def]
    store = await seeded_store(tmp_path, embedder)
    app = RecallApp(
        RecallSettings(port=0), embedder, store, config=RetrievalConfig.from_env(), security=security, nats=False
    )
    port = await app.start()
    return Served(app, f"127.0.0.1:{port}", keys)


@pytest.fixture
async def served(tmp_path: Path, embedder) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    keys = write_keys(tmp_path / "keys.json", GRANTS)
    server = await serve(tmp_path, embedder, keyed_security(tmp_path / "keys.json"), keys)
    yield server
    await server.app.server.stop()


async def code_and_details(address: str, token: str, call: str, request: object) -> tuple[grpc.StatusCode, str]:
    async with open_aio_channel(address, token=token) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        try:
            await getattr(stub, call)(request)
        except grpc.aio.AioRpcError as exc:
            return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""


async def test_calls_without_credentials_are_refused_but_health_answers(served: Served) -> None:
    for call, request in [
        ("Recall", recall_pb2.RecallRequest(namespace=ACME, query="order")),
        ("WarmCache", recall_pb2.WarmCacheRequest(namespace=ACME, session_id="s2")),
        ("WakeDelta", recall_pb2.WakeDeltaRequest(namespace=ACME, session_id="s2", text="order")),
        ("Feedback", recall_pb2.FeedbackRequest(namespace=ACME, memory_id="m-acme")),
        ("Forget", recall_pb2.ForgetRequest(namespace=ACME, memory_id="m-acme")),
    ]:
        code, details = await code_and_details(served.address, "", call, request)
        assert code == grpc.StatusCode.UNAUTHENTICATED, call
        assert "authorization: Bearer" in details
        code, details = await code_and_details(served.address, "somnia_123456789abc_" + "0" * 64, call, request)
        assert code == grpc.StatusCode.UNAUTHENTICATED and "not valid" in details
    async with grpc.aio.insecure_channel(served.address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="readiness"))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_another_tenant_is_refused_alike_whether_its_namespace_exists_or_not(served: Served) -> None:
    token = served.keys["acme-reader"]
    code, details = await code_and_details(
        served.address, token, "Recall", recall_pb2.RecallRequest(namespace=ACME, query="when does my order ship")
    )
    assert code == grpc.StatusCode.OK
    refusals = {}
    for namespace in (GLOBEX, "globex/nobody/none"):
        code, details = await code_and_details(
            served.address, token, "Recall", recall_pb2.RecallRequest(namespace=namespace, query="contract")
        )
        assert code == grpc.StatusCode.PERMISSION_DENIED
        refusals[namespace] = details.replace(namespace, "<ns>")
    assert len(set(refusals.values())) == 1, refusals
    assert "'recall' scope" in next(iter(refusals.values()))


async def test_live_wake_is_scoped_like_recall(served: Served) -> None:
    token = served.keys["acme-reader"]
    own = recall_pb2.WakeDeltaRequest(namespace=ACME, session_id="s2", text="when does my order ship")
    code, _ = await code_and_details(served.address, token, "WakeDelta", own)
    assert code == grpc.StatusCode.OK
    refusals = set()
    for namespace in (GLOBEX, "globex/nobody/none"):
        other = recall_pb2.WakeDeltaRequest(namespace=namespace, session_id="s2", text="contract renews")
        code, details = await code_and_details(served.address, token, "WakeDelta", other)
        assert code == grpc.StatusCode.PERMISSION_DENIED
        refusals.add(details.replace(namespace, "<ns>"))
    assert len(refusals) == 1 and "'recall' scope" in refusals.pop()


async def test_each_rpc_needs_its_scope_and_a_whole_namespace_needs_admin(served: Served) -> None:
    reader, agent, admin = (served.keys[k] for k in ("acme-reader", "acme-agent", "acme-admin"))
    feedback = recall_pb2.FeedbackRequest(namespace=ACME, memory_id="m-acme", signal=recall_pb2.FEEDBACK_SIGNAL_HELPED)
    forget_one = recall_pb2.ForgetRequest(namespace=ACME, memory_id="m-acme")
    forget_all = recall_pb2.ForgetRequest(namespace=ACME, entire_namespace=True, confirm_namespace=ACME)
    assert (await code_and_details(served.address, reader, "Feedback", feedback))[
        0
    ] == grpc.StatusCode.PERMISSION_DENIED
    assert (await code_and_details(served.address, reader, "Forget", forget_one))[
        0
    ] == grpc.StatusCode.PERMISSION_DENIED
    # Past the check, this recall runs without NATS, so it cannot carry the call out: the check came first.
    assert (await code_and_details(served.address, agent, "Feedback", feedback))[
        0
    ] == grpc.StatusCode.FAILED_PRECONDITION
    assert (await code_and_details(served.address, agent, "Forget", forget_one))[
        0
    ] == grpc.StatusCode.FAILED_PRECONDITION
    code, details = await code_and_details(served.address, agent, "Forget", forget_all)
    assert code == grpc.StatusCode.PERMISSION_DENIED and "'admin' scope" in details
    assert (await code_and_details(served.address, admin, "Forget", forget_all))[
        0
    ] == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_namespace_over_its_rate_is_told_when_to_retry(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    keys = write_keys(tmp_path / "keys.json", GRANTS)
    security = ServerSecurity(
        Authenticator(keys=KeyRing(tmp_path / "keys.json")), namespace_limit=RateLimiter(rate=0.5, burst=2)
    )
    server = await serve(tmp_path, embedder, security, keys)
    try:
        async with open_aio_channel(server.address, token=keys["acme-reader"]) as channel:
            stub = recall_pb2_grpc.RecallServiceStub(channel)
            for _ in range(2):
                await stub.Recall(recall_pb2.RecallRequest(namespace=ACME, query="order"))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Recall(recall_pb2.RecallRequest(namespace=ACME, query="order"))
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "retry in" in (refused.value.details() or "")
            trailers = dict(refused.value.trailing_metadata() or ())
            assert 0 < int(trailers["retry-after-ms"]) <= 2000
    finally:
        await server.app.server.stop()


async def test_tls_carries_api_keys_and_refuses_plaintext(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    pem = write_certificates(tmp_path)
    keys = write_keys(tmp_path / "keys.json", GRANTS)
    auth = AuthSettings(api_keys_file=tmp_path / "keys.json")
    tls = TlsSettings(cert_file=pem["server"], key_file=pem["server-key"], health_port=free_port())
    server = await serve(tmp_path, embedder, ServerSecurity.from_settings(auth, tls), keys)
    recall = recall_pb2.RecallRequest(namespace=ACME, query="order")
    try:
        # Probes that cannot speak TLS ask the plaintext health port (health only: no API there).
        async with grpc.aio.insecure_channel(f"127.0.0.1:{tls.health_port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="readiness"))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as absent:
                await recall_pb2_grpc.RecallServiceStub(channel).Recall(recall)
            assert absent.value.code() == grpc.StatusCode.UNIMPLEMENTED
        async with open_aio_channel(server.address, token=keys["acme-reader"], tls=ClientTls(pem["ca"])) as channel:
            assert (await recall_pb2_grpc.RecallServiceStub(channel).Recall(recall)).items
        code, _ = await code_and_details(server.address, keys["acme-reader"], "Recall", recall)
        assert code == grpc.StatusCode.UNAVAILABLE  # a plaintext client cannot even connect
    finally:
        await server.app.server.stop()


async def test_client_certificates_map_to_grants_and_are_required(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    pem = write_certificates(tmp_path, client_identity="bot.acme.internal")
    (tmp_path / "certs.json").write_text(
        '{"certificates": [{"identity": "bot.acme.internal", "namespaces": ["acme/*"], "scopes": ["recall"]}]}'
    )
    keys = write_keys(tmp_path / "keys.json", GRANTS)
    auth = AuthSettings(api_keys_file=tmp_path / "keys.json", client_certs_file=tmp_path / "certs.json")
    tls = TlsSettings(cert_file=pem["server"], key_file=pem["server-key"], client_ca_file=pem["ca"], health_port=0)
    server = await serve(tmp_path, embedder, ServerSecurity.from_settings(auth, tls), keys)
    recall = recall_pb2.RecallRequest(namespace=ACME, query="order")
    try:
        async with open_aio_channel(
            server.address, tls=ClientTls(pem["ca"], pem["client"], pem["client-key"])
        ) as channel:
            stub = recall_pb2_grpc.RecallServiceStub(channel)
            assert (await stub.Recall(recall)).items
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Recall(recall_pb2.RecallRequest(namespace=GLOBEX, query="contract"))
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "cert:bot.acme.internal" in (refused.value.details() or "")
        # Without a client certificate the handshake fails, even with a valid key.
        async with open_aio_channel(server.address, token=keys["acme-reader"], tls=ClientTls(pem["ca"])) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await recall_pb2_grpc.RecallServiceStub(channel).Recall(recall, timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.app.server.stop()


async def test_turning_auth_off_is_said_loudly(
    tmp_path: Path,
    embedder,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    server = await serve(tmp_path, embedder, ServerSecurity.from_settings(AuthSettings(mode="off"), TlsSettings()), {})
    try:
        with caplog.at_level(logging.WARNING):
            server.app.server.security.announce(logging.getLogger("somnia.recall"), "recall")
        assert "AUTHENTICATION IS OFF" in caplog.text
        assert (
            await code_and_details(server.address, "", "Recall", recall_pb2.RecallRequest(namespace=GLOBEX, query="x"))
        )[0] == grpc.StatusCode.OK
    finally:
        await server.app.server.stop()


def test_auth_on_with_no_method_configured_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="SOMNIA_AUTH_API_KEYS_FILE"):
        ServerSecurity.from_settings(AuthSettings(), TlsSettings())
