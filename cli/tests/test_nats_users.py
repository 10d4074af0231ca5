"""`somnia up`'s NATS users on a real nats-server: each service publishes only the events the registry
gives it (a forged event from another service is refused by the server), reaches through the JetStream
API only the streams it uses, cannot listen to other services' replies, a wrong password does not
connect, and the operator may do anything."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from somnia_bus import inbox_prefix, url_user
from somnia_cli.nats_users import (
    CLI,
    OPERATOR,
    SERVICES,
    cluster_users,
    nats_url,
    nats_users,
    password_variable,
    passwords,
)
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM
from somnia_nats_server import NatsServer, render_authorization

pytestmark = pytest.mark.integration


async def connect(url: str, **options: Any) -> NATS:
    """As the services connect: replies on the user's own inboxes (somnia_bus.create_broker)."""
    user = url_user(url)
    return await nats.connect(
        url, allow_reconnect=False, inbox_prefix=inbox_prefix(user) if user else "_INBOX", **options
    )


async def publishes(url: str, subject: str) -> bool:
    """Whether a JetStream publish on `subject` is acknowledged (a refused one never is)."""
    client = await connect(url)
    try:
        await client.jetstream().publish(subject, b"{}", timeout=1.5)
        return True
    except (TimeoutError, NatsError):
        return False
    finally:
        await client.close()


async def test_each_service_publishes_only_its_own_events(tmp_path: Path) -> None:
    auth = tmp_path / "auth"
    with NatsServer(tmp_path / "nats", users=nats_users(auth)) as server:
        operator = nats_url(server.host, server.port, auth, OPERATOR)
        admin = await nats.connect(operator)
        js = admin.jetstream()
        for spec in (SESSION_STREAM, MEMORY_STREAM):
            await js.add_stream(name=spec.name, subjects=list(spec.subjects))
        await admin.close()

        turn = "somnia.v1.session.turn.a.b.c.s1"
        indexed = "somnia.v1.memory.indexed.a.b.c.s1"
        capture = nats_url(server.host, server.port, auth, "capture")
        embedding = nats_url(server.host, server.port, auth, "embedding")
        assert await publishes(capture, turn)
        assert not await publishes(capture, indexed)  # capture cannot forge an indexing
        assert await publishes(embedding, indexed)
        assert not await publishes(embedding, turn)  # nor embedding a captured turn
        assert await publishes(operator, turn) and await publishes(operator, indexed)
        for refused in (f"nats://capture:wrong@{server.host}:{server.port}", server.url):  # wrong, or none
            with pytest.raises(NatsError, match="Authorization Violation"):
                await asyncio.wait_for(nats.connect(refused, allow_reconnect=False), 10)
    assert stat.S_IMODE((auth / "nats-users.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "nats" / "nats-server.conf").stat().st_mode) == 0o600
    assert passwords(auth) == passwords(auth)  # made once, kept


async def test_a_service_reaches_only_its_own_streams_and_replies(tmp_path: Path) -> None:
    auth = tmp_path / "auth"
    with NatsServer(tmp_path / "nats", users=nats_users(auth)) as server:
        admin = await nats.connect(nats_url(server.host, server.port, auth, OPERATOR))
        js = admin.jetstream()
        for spec in (SESSION_STREAM, MEMORY_STREAM):
            await js.add_stream(name=spec.name, subjects=list(spec.subjects))
        await js.publish("somnia.v1.memory.indexed.a.b.c.s1", b'{"secret": "from the memory stream"}')

        violations: list[Exception] = []

        async def record(exc: Exception) -> None:
            violations.append(exc)

        capture = await connect(nats_url(server.host, server.port, auth, "capture"), error_cb=record)
        try:
            own = await capture.jetstream().stream_info(SESSION_STREAM.name)
            assert own.config.name == SESSION_STREAM.name  # its own stream, through the API
            with pytest.raises((TimeoutError, NatsError)):
                await capture.jetstream(timeout=1.0).stream_info(MEMORY_STREAM.name)
            with pytest.raises((TimeoutError, NatsError)):
                await capture.jetstream(timeout=1.0).get_msg(MEMORY_STREAM.name, seq=1)

            # Listening to every inbox would show it the operator's replies: refused.
            snooped: list[bytes] = []

            async def keep(msg: Any) -> None:
                snooped.append(msg.data)

            await capture.subscribe("_INBOX.>", cb=keep)
            await capture.flush()
            await js.get_msg(MEMORY_STREAM.name, seq=1)
            await asyncio.sleep(0.5)
            assert snooped == []
            assert any("permissions violation" in str(v).lower() for v in violations), violations
        finally:
            await capture.close()
            await admin.close()


async def test_the_cluster_config_reads_each_password_from_its_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = cluster_users()
    assert {u.name for u in users} == {*SERVICES, CLI, OPERATOR}
    secrets_by_user = {u.name: f"pw-{u.name}-7f3a" for u in users}
    for name, secret in secrets_by_user.items():
        monkeypatch.setenv(password_variable(name), secret)
    assert "pw-capture-7f3a" not in render_authorization(users)  # the config holds references only
    with NatsServer(tmp_path / "nats", users=users) as server:
        admin = await nats.connect(f"nats://operator:{secrets_by_user[OPERATOR]}@{server.host}:{server.port}")
        for spec in (SESSION_STREAM, MEMORY_STREAM):
            await admin.jetstream().add_stream(name=spec.name, subjects=list(spec.subjects))
        await admin.close()
        capture = f"nats://capture:{secrets_by_user['capture']}@{server.host}:{server.port}"
        assert await publishes(capture, "somnia.v1.session.turn.a.b.c.s1")
        assert not await publishes(capture, "somnia.v1.memory.indexed.a.b.c.s1")
        with pytest.raises(NatsError, match="Authorization Violation"):
            await asyncio.wait_for(
                nats.connect(
                    f"nats://capture:{secrets_by_user['embedding']}@{server.host}:{server.port}", allow_reconnect=False
                ),
                10,
            )


async def test_the_kv_buckets_each_service_lists_are_readable_as_that_service(tmp_path: Path) -> None:
    """What the services list under their own users: the adapter registry (dreaming, forgetting, recall)
    and the namespaces due for a sweep (forgetting). Listing through the KV client's watcher would look
    the stream up by name first, which these users may not: they read the bucket's stream instead."""
    from datetime import UTC, datetime

    from nats.js.api import KeyValueConfig
    from somnia_bus import open_key_value
    from somnia_forgetting.main import DueBucket
    from somnia_parametric import AdapterRecord, AdapterRegistry

    auth = tmp_path / "auth"
    now = datetime.now(UTC)
    record = AdapterRecord(
        namespace="a/b/c",
        adapter_id="v1-0000aaaa",
        version=1,
        base_model="tiny-random",
        dataset_version="0" * 16,
        memory_ids=("m1",),
        status="live",
        created_at=now,
        updated_at=now,
    )
    with NatsServer(tmp_path / "nats", users=nats_users(auth)) as server:
        for service in ("dreaming", "forgetting", "recall"):
            client = await connect(nats_url(server.host, server.port, auth, service))
            try:
                registry = AdapterRegistry(client.jetstream())
                await registry.open()
                await registry.put(record)
                assert [r.adapter_id for r in await registry.adapters("a/b/c")] == ["v1-0000aaaa"]
                assert await registry.mark_stale("a/b/c", ["m2"], "nothing held") == []
            finally:
                await client.close()
        forgetting = await connect(nats_url(server.host, server.port, auth, "forgetting"))
        try:
            js = forgetting.jetstream()
            kv = await open_key_value(js, KeyValueConfig(bucket="somnia_forgetting", history=1))
            due = DueBucket(kv, js, "somnia_forgetting")
            await due.mark_due("a/b/c")
            ((key, namespace),) = await due.due()
            assert namespace == "a/b/c"
            await due.done(key)
            assert await due.due() == []
        finally:
            await forgetting.close()
