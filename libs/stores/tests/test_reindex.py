"""Reindex with the real models, all-MiniLM-L6-v2 to bge-small-en-v1.5, on the embedded store and on a
real Weaviate (a new collection beside the serving one, then a switch every process follows)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from somnia_embedder import Embedder, EmbedderSettings, Vectors, create_embedder
from somnia_memory_store import EmbedderMismatchError, MemoryRecord, ReindexableStore, ReindexError, StoreError
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_memory_store.weaviate.store import WeaviateMemoryStore, tenant_name
from somnia_stores import FollowingEmbedder, reindex

NS = "acme/agent/alice"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TEXTS = [
    "My sister Hannah is getting married in Porto next June.",
    "The staging deploy fails because the disk on build-07 is full.",
    "I am allergic to penicillin.",
    "We never deploy on Fridays.",
    "Caroline moved here from Sweden four years ago.",
    "The team switched the database to Postgres last spring.",
]


Store = EmbeddedMemoryStore | WeaviateMemoryStore
Opener = Callable[[], Store]


def open_weaviate(server: Any, collection: str) -> WeaviateMemoryStore:
    return WeaviateMemoryStore(
        http_host=server.host,
        http_port=server.http_port,
        grpc_host=server.host,
        grpc_port=server.grpc_port,
        collection=collection,
        api_key=server.api_key,
    )


@pytest.fixture(params=["embedded", "weaviate"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens clients of one fresh store (each call is another process's client of the same store)."""
    opened: list[Store] = []
    server = request.getfixturevalue("weaviate_server") if request.param == "weaviate" else None
    collection = f"Reindex{uuid.uuid4().hex[:10]}"

    def opener() -> Store:
        opened.append(EmbeddedMemoryStore(tmp_path / "m.db") if server is None else open_weaviate(server, collection))
        return opened[-1]

    yield opener
    for store in opened:
        await store.aclose()


@pytest.fixture
async def open_weaviate_store(weaviate_server: Any) -> AsyncIterator[Callable[[], WeaviateMemoryStore]]:
    """Clients of one new collection on the test run's Weaviate."""
    opened: list[WeaviateMemoryStore] = []
    collection = f"Reindex{uuid.uuid4().hex[:10]}"

    def opener() -> WeaviateMemoryStore:
        opened.append(open_weaviate(weaviate_server, collection))
        return opened[-1]

    yield opener
    for store in opened:
        await store.aclose()


@pytest.fixture(scope="module")
def bge() -> Embedder:
    from somnia_embedder.onnx_minilm import OnnxBgeSmallEmbedder

    return OnnxBgeSmallEmbedder(threads=2)


async def write(store: Store, embedder: Embedder, texts: Sequence[str], start: int = 0) -> None:
    vectors = await embedder.embed(list(texts))
    await store.upsert(
        [
            MemoryRecord(
                memory_id=f"m{start + i}",
                namespace=NS,
                text=text,
                session_id="s1",
                turn_id=f"t{start + i}",
                role="user",
                occurred_at=T0,
                recorded_at=T0,
                embedder=embedder.name,
                vector=vectors[i],
            )
            for i, text in enumerate(texts)
        ]
    )


async def top(store: Store, embedder: Embedder, question: str) -> str:
    (vector,) = await embedder.embed([question])
    return (await store.vector_search(NS, vector, 1))[0].record.text


class Interrupted(Exception):
    pass


class StopsAfter:
    """The real embedder, interrupted after `batches` calls (a Ctrl-C or a crash mid-reindex)."""

    def __init__(self, inner: Embedder, batches: int) -> None:
        self.inner, self.left, self.texts = inner, batches, 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if self.left == 0:
            raise Interrupted
        self.left -= 1
        self.texts += len(texts)
        return await self.inner.embed(texts)

    async def aclose(self) -> None:
        return None


async def test_a_reindex_moves_every_vector_to_the_new_model_in_one_swap(
    open_store: Opener, embedder: Embedder, bge: Embedder
) -> None:
    store = open_store()
    assert isinstance(store, ReindexableStore)
    await write(store, embedder, TEXTS)
    assert await top(store, embedder, "which antibiotic am I allergic to?") == TEXTS[2]
    done = await reindex(store, bge, batch=4)
    assert done.embedder == bge.name and done.target is None and done.total == len(TEXTS)
    assert await store.embedder_identity() == (bge.name, 384)
    assert await top(store, bge, "which antibiotic am I allergic to?") == TEXTS[2]
    (record,) = await store.get(NS, ["m4"])
    (expected,) = await bge.embed([TEXTS[4]])
    # int8 with dynamic quantisation: a batch's padding moves the scales a little, so the vector of a
    # text embedded alone is close to, not equal to, the one embedded in a batch.
    assert record.embedder == bge.name and float(record.vector @ expected) > 0.98
    with pytest.raises(ReindexError, match="already holds vectors"):
        await reindex(store, bge)
    # Writes go on, in the new model's store.
    await write(store, bge, ["I bought a red bicycle yesterday."], start=len(TEXTS))
    assert await top(store, bge, "what did I buy?") == "I bought a red bicycle yesterday."


async def test_an_interrupted_reindex_resumes_and_the_old_vectors_answer_until_the_swap(
    open_store: Opener, embedder: Embedder, bge: Embedder
) -> None:
    store = open_store()
    await write(store, embedder, TEXTS)
    first = StopsAfter(bge, batches=2)
    with pytest.raises(Interrupted):
        await reindex(store, first, batch=2)
    progress = await store.reindex_progress()
    assert (progress.embedder, progress.target, progress.done) == (embedder.name, bge.name, 4)
    # Still the old model's store: searches and writes go on as before.
    assert await top(store, embedder, "where is the wedding?") == TEXTS[0]
    await write(store, embedder, ["I bought a red bicycle yesterday."], start=len(TEXTS))
    second = StopsAfter(bge, batches=100)
    await reindex(store, second, batch=2)
    assert second.texts == len(TEXTS) + 1 - 4  # only what the first run had not embedded
    assert await top(store, bge, "what did I buy?") == "I bought a red bicycle yesterday."


async def test_a_memory_deleted_during_a_reindex_leaves_no_vector_behind(
    tmp_path: Path, embedder: Embedder, bge: Embedder
) -> None:
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    await write(store, embedder, TEXTS)
    with pytest.raises(Interrupted):
        await reindex(store, StopsAfter(bge, batches=1), batch=3)
    assert (await store.reindex_progress()).done == 3
    await store.delete(NS, ["m0", "m1"])
    (left,) = store._conn.execute("SELECT COUNT(*) FROM memory_reindex").fetchone()
    assert left == 1  # the erased memories' new vectors went with them
    done = await reindex(store, bge, batch=3)
    assert done.total == len(TEXTS) - 2 and await store.count(NS) == len(TEXTS) - 2
    await store.aclose()


async def test_another_target_in_progress_is_refused_unless_started_over(
    open_store: Opener, embedder: Embedder, bge: Embedder
) -> None:
    store = open_store()
    await write(store, embedder, TEXTS)
    await store.reindex_begin("some-other-model", 768)
    with pytest.raises(ReindexError, match=r"in progress.*--restart"):
        await reindex(store, bge)
    done = await reindex(store, bge, restart=True)
    assert done.embedder == bge.name


async def test_other_processes_follow_the_swap_without_a_restart(
    open_store: Opener, embedder: Embedder, bge: Embedder
) -> None:
    writer = open_store()
    await write(writer, embedder, TEXTS)
    # Another process: its own connection, its index loaded, its embedder following the store.
    reader = open_store()
    follower = FollowingEmbedder(
        await create_embedder(EmbedderSettings(threads=2)), reader, EmbedderSettings(threads=2)
    )
    assert await top(reader, follower, "who moved from Sweden?") == TEXTS[4]
    assert follower.name == embedder.name
    await reindex(writer, bge, batch=4)
    assert await top(reader, follower, "who moved from Sweden?") == TEXTS[4]
    assert follower.name == bge.name
    await follower.aclose()


async def test_a_run_for_another_target_cannot_write_into_this_reindex(
    open_store: Opener, embedder: Embedder, bge: Embedder
) -> None:
    store = open_store()
    await write(store, embedder, TEXTS)
    await store.reindex_begin(bge.name, bge.dimension)
    (vector,) = await embedder.embed([TEXTS[0]])
    with pytest.raises(ReindexError, match="no longer in progress"):
        await store.reindex_write(embedder.name, [1], [TEXTS[0]], vector.reshape(1, -1))


async def test_a_write_waiting_on_the_swap_is_refused_once_the_model_changed(
    tmp_path: Path, embedder: Embedder
) -> None:
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    await write(store, embedder, TEXTS[:2])
    swapping = EmbeddedMemoryStore(tmp_path / "m.db")
    # The swap's transaction holds the write lock; a writer of the old model queues behind it.
    conn = swapping._conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE store_meta SET value = 'bge-small-en-v1.5-int8-onnx' WHERE key = 'embedder'")
    waiting = asyncio.create_task(write(store, embedder, ["I bought a red bicycle yesterday."], start=10))
    await asyncio.sleep(0.5)
    assert not waiting.done()
    conn.execute("COMMIT")
    with pytest.raises(EmbedderMismatchError, match="bge-small"):
        await waiting
    await swapping.aclose()
    await store.aclose()


async def test_on_weaviate_a_memory_forgotten_during_a_reindex_is_not_in_the_new_collection(
    open_weaviate_store: Callable[[], WeaviateMemoryStore], embedder: Embedder, bge: Embedder
) -> None:
    weaviate_store = open_weaviate_store()
    await write(weaviate_store, embedder, TEXTS)
    with pytest.raises(Interrupted):
        await reindex(weaviate_store, StopsAfter(bge, batches=1), batch=3)
    assert (await weaviate_store.reindex_progress()).done == 3
    # One Forget of a copied memory, one of a memory not copied yet.
    assert await weaviate_store.delete(NS, ["m0", "m5"]) == 2
    done = await reindex(weaviate_store, bge, batch=3)
    assert done.total == len(TEXTS) - 2 and await weaviate_store.count(NS) == len(TEXTS) - 2
    assert {r.memory_id for r in await weaviate_store.scan(NS)} == {"m1", "m2", "m3", "m4"}
    assert all(r.embedder == bge.name for r in await weaviate_store.scan(NS))


async def test_on_weaviate_writes_wait_out_the_swap_and_land_in_the_new_collection(
    open_weaviate_store: Callable[[], WeaviateMemoryStore], embedder: Embedder, bge: Embedder
) -> None:
    """The swap seals the store before its last sweep: a write then is refused (its sender retries it),
    so nothing lands in the old collection behind the sweep; after the swap it is written anew."""
    weaviate_store, writer = open_weaviate_store(), open_weaviate_store()
    await write(weaviate_store, embedder, TEXTS)
    await weaviate_store.reindex_begin(bge.name, bge.dimension)
    for key, text in await weaviate_store.reindex_pending(100):
        (vector,) = await bge.embed([text])
        await weaviate_store.reindex_write(bge.name, [key], [text], vector.reshape(1, -1))
    assert not await weaviate_store.reindex_swap()  # sealed, not yet swapped
    with pytest.raises(StoreError, match="try it again"):
        await write(writer, embedder, ["I bought a red bicycle yesterday."], start=len(TEXTS))
    assert await weaviate_store.reindex_pending(100) == []
    assert await weaviate_store.reindex_swap()
    with pytest.raises(EmbedderMismatchError, match="reindex"):
        await write(writer, embedder, ["I bought a red bicycle yesterday."], start=len(TEXTS))
    await write(writer, bge, ["I bought a red bicycle yesterday."], start=len(TEXTS))
    assert await top(weaviate_store, bge, "what did I buy?") == "I bought a red bicycle yesterday."
    assert await weaviate_store.count(NS) == len(TEXTS) + 1


async def test_on_weaviate_a_seal_left_by_a_stopped_run_lapses_and_the_reindex_resumes(
    open_weaviate_store: Callable[[], WeaviateMemoryStore], embedder: Embedder, bge: Embedder
) -> None:
    from dataclasses import replace

    from somnia_memory_store.weaviate.meta import SEAL_LEASE_S

    store, writer = open_weaviate_store(), open_weaviate_store()
    await write(store, embedder, TEXTS[:3])
    await store.reindex_begin(bge.name, bge.dimension)
    assert not await store.reindex_swap()  # sealed; then the run stops
    with pytest.raises(StoreError, match="try it again"):
        await write(writer, embedder, ["I bought a red bicycle yesterday."], start=3)
    # The seal is as old as a lease: writes go on, into the old collection, and are not lost.
    state = await store._read_state()
    assert state.sealed_at is not None
    await store._write_state(replace(state, sealed_at=state.sealed_at - SEAL_LEASE_S))
    await write(writer, embedder, ["I bought a red bicycle yesterday."], start=3)
    done = await reindex(store, bge, batch=2)
    assert done.embedder == bge.name and await store.count(NS) == 4
    assert await top(store, bge, "what did I buy?") == "I bought a red bicycle yesterday."


async def test_on_weaviate_a_forget_reaches_the_old_collection_a_stopped_switch_left_behind(
    open_weaviate_store: Callable[[], WeaviateMemoryStore],
    embedder: Embedder,
    bge: Embedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, other = open_weaviate_store(), open_weaviate_store()
    await write(store, embedder, TEXTS[:3])
    old = (await store._read_state()).collection

    async def stopped(state: object) -> None:  # the run stops after the switch, before removing the old one
        return None

    monkeypatch.setattr(store, "_remove_retired", stopped)
    await reindex(store, bge, batch=2)
    await other._connected()
    assert (await other._read_state()).retired == old
    assert await other.delete(NS, ["m1"]) == 1
    left = store._client.collections.use(old).with_tenant(tenant_name(NS))
    assert (await left.aggregate.over_all(total_count=True)).total_count == 2
