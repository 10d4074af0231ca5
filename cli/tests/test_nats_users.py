"""`somnia up`'s NATS users on a real nats-server: each service publishes only the events the registry
gives it (a forged event from another service is refused by the server), a wrong password does not
connect, and the operator may do anything."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError
from somnia_cli.nats_users import OPERATOR, nats_url, nats_users, passwords
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM
from somnia_nats_server import NatsServer

pytestmark = pytest.mark.integration


async def publishes(url: str, subject: str) -> bool:
    """Whether a JetStream publish on `subject` is acknowledged (a refused one never is)."""
    client = await nats.connect(url, allow_reconnect=False)
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
