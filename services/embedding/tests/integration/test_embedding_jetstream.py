"""embedding against a real nats-server: acks after durable writes, redelivery, exactly-once storage."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from somnia_bus import close_broker
from somnia_bus.testing import publish_turns
from somnia_contracts import MEMORY_STREAM, TurnCaptured
from somnia_embedding.main import EmbeddingApp
from somnia_embedding.settings import EmbeddingSettings
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, tzinfo=UTC)


class FlakyStore(EmbeddedMemoryStore):
    """Fault injection: the real store, but the first `failures` upserts raise."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures
        self.attempts = 0
        self.rewritten: set[str] = set()  # memory ids a retried batch asked to have written anew

    async def upsert(self, records: Sequence[MemoryRecord], *, rewrite: bool = False) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OSError("injected: disk unavailable")
        if rewrite:
            self.rewritten |= {r.memory_id for r in records}
        await super().upsert(records, rewrite=rewrite)


class HangingStore(EmbeddedMemoryStore):
    """Fault injection: upserts never finish, like a process that froze before its write."""

    async def upsert(self, records: Sequence[MemoryRecord], *, rewrite: bool = False) -> None:
        await asyncio.Event().wait()


def turns(count: int, session: str = "s1") -> list[TurnCaptured]:
    return [
        TurnCaptured(
            namespace="a/b/c",
            session_id=session,
            turn_id=f"t{i}",
            role="user",
            content=f"memory number {i} about topic {i % 7}",
            occurred_at=NOW,
            captured_at=NOW,
        )
        for i in range(count)
    ]


async def wait_for_count(store: EmbeddedMemoryStore, expected: int, timeout_s: float = 30.0) -> int:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (n := await store.count("a/b/c")) < expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    return n


async def stream_messages(url: str, stream: str) -> int:
    client = await nats.connect(url)
    info = await client.jetstream().stream_info(stream)
    await client.close()
    return int(info.state.messages)


async def test_failed_writes_are_retried_until_every_turn_is_stored_once(
    nats_server: NatsServer,
    tmp_path: Path,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    store = FlakyStore(tmp_path / "m.db", failures=2)
    app = EmbeddingApp(EmbeddingSettings(nats_url=nats_server.url, health_port=0, batch_size=8), embedder, store)
    await app.start()
    try:
        await publish_turns(nats_server.url, turns(30))
        assert await wait_for_count(store, 30) == 30
        await asyncio.sleep(0.5)  # let any stray redelivery land
        assert await store.count("a/b/c") == 30
        assert store.attempts > 2
        # The failed batches come back as redeliveries and are rewritten; first deliveries are not.
        assert 0 < len(store.rewritten) < 30
    finally:
        await app.stop()
    assert await stream_messages(nats_server.url, MEMORY_STREAM.name) == 30  # one memory.indexed per turn


async def test_a_consumer_that_dies_before_acking_loses_nothing(
    nats_server: NatsServer,
    tmp_path: Path,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    settings = EmbeddingSettings(
        nats_url=nats_server.url, health_port=0, batch_size=4, ack_wait_s=1.0, shutdown_grace_s=0.5
    )
    frozen = EmbeddingApp(settings, embedder, HangingStore(tmp_path / "m.db"))
    await frozen.start()
    await publish_turns(nats_server.url, turns(12))
    await asyncio.sleep(0.5)
    await close_broker(frozen.broker)  # dies holding un-acked messages
    await frozen.process.health.stop()

    store = EmbeddedMemoryStore(tmp_path / "m.db")
    revived = EmbeddingApp(settings, embedder, store)
    await revived.start()
    try:
        assert await wait_for_count(store, 12) == 12
        await asyncio.sleep(1.5)  # past ack_wait: nothing may arrive twice
        assert await store.count("a/b/c") == 12
    finally:
        await revived.stop()
