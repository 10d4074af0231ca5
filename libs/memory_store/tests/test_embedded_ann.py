"""The embedded store past its HNSW threshold: the graph finds what exact search finds, never returns a
deleted or replaced row, follows writes of other processes through the change log, survives a restart
from its saved file, and forgets erased vectors when the namespace is scrubbed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from somnia_memory_store import MemoryRecord, SearchFilter
from somnia_memory_store.embedded.ann import AnnConfig
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

from .test_memory_store_contract import record

NS = "a/b/c"
DIM = 8
SMALL = AnnConfig(threshold=300, m=16, ef_construction=64, ef_search=64)


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 20 centres, the way embeddings of a conversation cluster by topic."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, DIM))
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def records(vectors: np.ndarray, start: int = 0, status: str = "asserted") -> list[MemoryRecord]:
    out = []
    for i, v in enumerate(vectors, start=start):
        r = record(f"m{i}", f"memory number {i}", v, session=f"s{i % 7}")
        out.append(r.model_copy(update={"status": status}))
    return out


async def built(store: EmbeddedMemoryStore, namespace: str = NS) -> None:
    """Wait (30 s at most) until the namespace is searched through a graph that covers every row."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        state = await store.vector_index_state(namespace)
        if state.graph_rows and not state.building:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no graph after 30 s: {state}")


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, ids: list[str]) -> list[str]:
    return [ids[i] for i in np.argsort(-(vectors @ query))[:k]]


async def test_below_the_threshold_search_stays_exact(tmp_path: Path) -> None:
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await store.upsert(records(clustered(200)))
    state = await store.vector_index_state(NS)
    assert (state.rows, state.graph_rows, state.building) == (200, 0, False)
    assert not (tmp_path / "m.db.ann").exists() or not any((tmp_path / "m.db.ann").glob("*.faiss"))
    await store.aclose()


async def test_the_graph_finds_what_exact_search_finds(tmp_path: Path) -> None:
    vectors = clustered(2000)
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    for start in range(0, 2000, 500):
        await store.upsert(records(vectors[start : start + 500], start))
    await built(store)
    ids = [f"m{i}" for i in range(2000)]
    queries = clustered(50, seed=1)
    overlap = 0
    for q in queries:
        found = [h.record.memory_id for h in await store.vector_search(NS, q, 10)]
        overlap += len(set(found) & set(exact_top(vectors, q, 10, ids)))
        assert found[0] == exact_top(vectors, q, 1, ids)[0]
    assert overlap / (10 * len(queries)) >= 0.9
    # A stored vector finds itself first, with its exact cosine.
    hit = (await store.vector_search(NS, vectors[123], 1))[0]
    assert hit.record.memory_id == "m123" and hit.score == pytest.approx(1.0, abs=1e-5)
    await store.aclose()


async def test_rows_written_after_the_build_are_found_and_filters_hold(tmp_path: Path) -> None:
    vectors = clustered(1000)
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await store.upsert(records(vectors))
    await built(store)
    late = clustered(5, seed=9)
    await store.upsert(records(late, start=5000))
    assert (await store.vector_search(NS, late[2], 1))[0].record.memory_id == "m5002"
    state = await store.vector_index_state(NS)
    assert state.graph_rows == 1005  # appended to the graph as they arrived
    # A session filter keeps a seventh of the rows; a status filter that matches nothing returns nothing.
    hits = await store.vector_search(NS, vectors[10], 10, SearchFilter(session_ids=("s3",)))
    assert len(hits) == 10 and {h.record.session_id for h in hits} == {"s3"}
    assert await store.vector_search(NS, vectors[10], 10, SearchFilter(statuses=("retracted",))) == []
    await store.aclose()


async def test_deleted_and_replaced_rows_never_come_back(tmp_path: Path) -> None:
    vectors = clustered(2000)
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await store.upsert(records(vectors))
    await built(store)
    assert await store.delete(NS, ["m42"]) == 1
    assert "m42" not in [h.record.memory_id for h in await store.vector_search(NS, vectors[42], 10)]
    # A status change is a replacement: the row is found once, with its new status, and a status filter sees it.
    await store.upsert(records(vectors[7:8], start=7, status="retracted"))
    hits = await store.vector_search(NS, vectors[7], 10)
    assert [h.record.memory_id for h in hits].count("m7") == 1 and hits[0].record.status == "retracted"
    kept = await store.vector_search(NS, vectors[7], 10, SearchFilter(statuses=("asserted",)))
    assert "m7" not in [h.record.memory_id for h in kept]
    # Deleting most rows compacts the buffers and rebuilds the graph over what is left.
    await store.delete(NS, [f"m{i}" for i in range(100, 1300)])
    state = await store.vector_index_state(NS)
    assert state.rows == 799 and state.dead == 0
    await built(store)
    found = {h.record.memory_id for q in vectors[100:1300:50] for h in await store.vector_search(NS, q, 20)}
    assert found and not found & {f"m{i}" for i in range(100, 1300)}
    await store.aclose()


async def test_another_process_writes_reach_the_index_without_a_reload(tmp_path: Path) -> None:
    vectors = clustered(800)
    reader = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    writer = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await writer.upsert(records(vectors))
    await built(reader)
    index = reader._indexes[NS]
    await writer.upsert(records(vectors[5:6], start=5, status="retracted"))
    await writer.delete(NS, ["m6"])
    hits = await reader.vector_search(NS, vectors[5], 5, SearchFilter(statuses=("asserted",)))
    assert "m5" not in [h.record.memory_id for h in hits]
    assert "m6" not in [h.record.memory_id for h in await reader.vector_search(NS, vectors[6], 5)]
    assert reader._indexes[NS] is index  # replayed two changes, not reloaded
    await reader.aclose()
    await writer.aclose()


async def test_a_restart_loads_the_saved_graph_and_catches_up(tmp_path: Path) -> None:
    vectors = clustered(1000)
    first = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await first.upsert(records(vectors))
    await built(first)
    await first.aclose()
    assert (tmp_path / "m.db.ann").is_dir() and len(list((tmp_path / "m.db.ann").glob("*.faiss"))) == 1
    unchanged = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    state = await unchanged.vector_index_state(NS)
    assert (state.rows, state.dead, state.graph_rows) == (1000, 0, 1000)  # every row once, none added again
    await unchanged.aclose()
    # Written while no reader ran: a deletion, a replacement and new rows.
    writer = EmbeddedMemoryStore(tmp_path / "m.db", ann=AnnConfig(threshold=0))
    await writer.delete(NS, ["m1"])
    await writer.upsert(records(vectors[2:3], start=2, status="retracted"))
    await writer.upsert(records(clustered(3, seed=5), start=9000))
    await writer.aclose()
    second = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    state = await second.vector_index_state(NS)
    # Loaded, not rebuilt: 1000 saved positions (m1's and m2's old one dead), then m2 again and 3 new rows.
    assert (state.rows, state.dead, state.graph_rows, state.building) == (1002, 2, 1004, False)
    assert "m1" not in [h.record.memory_id for h in await second.vector_search(NS, vectors[1], 5)]
    hit = (await second.vector_search(NS, vectors[2], 1))[0]
    assert (hit.record.memory_id, hit.record.status) == ("m2", "retracted")
    await second.aclose()


async def test_scrub_deletes_the_saved_graph_and_every_index_forgets_the_erased_rows(tmp_path: Path) -> None:
    vectors = clustered(600)
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    other = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await store.upsert(records(vectors))
    await built(store)
    await built(other)
    await store.delete(NS, [f"m{i}" for i in range(50)])
    await store.scrub(NS)
    assert not list((tmp_path / "m.db.ann").glob("*.faiss"))
    for reader in (store, other):
        state = await reader.vector_index_state(NS)
        assert state.rows == 550 and state.dead == 0  # rebuilt from the remaining rows
    await store.aclose()
    await other.aclose()


async def test_searches_during_the_build_answer_exactly(tmp_path: Path) -> None:
    vectors = clustered(3000)
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=AnnConfig(threshold=300, m=32, ef_construction=400))
    await store.upsert(records(vectors))
    ids = [f"m{i}" for i in range(3000)]
    for q in clustered(20, seed=3):
        found = [h.record.memory_id for h in await store.vector_search(NS, q, 5)]
        state = await store.vector_index_state(NS)
        if state.graph_rows == 0:
            assert found == exact_top(vectors, q, 5, ids)
    await built(store)
    await store.aclose()


async def test_a_saved_graph_that_cannot_be_used_is_rebuilt_once(tmp_path: Path) -> None:
    vectors = clustered(600)
    first = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await first.upsert(records(vectors))
    await built(first)
    await first.aclose()
    # Saved for another dimension (as if the store had been re-embedded): not adoptable.
    meta = next((tmp_path / "m.db.ann").glob("*.json"))
    meta.write_text(meta.read_text().replace('"dimension": 8', '"dimension": 16'))
    second = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await built(second)
    index = second._indexes[NS]
    for q in vectors[:5]:
        await second.vector_search(NS, q, 3)
    assert second._indexes[NS] is index  # built its own graph, no reload loop
    await second.aclose()


async def test_a_rowid_freed_by_a_delete_is_never_given_again(tmp_path: Path) -> None:
    vectors = clustered(30)
    reader = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    writer = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await writer.upsert(records(vectors[:20]))
    await reader.vector_search(NS, vectors[0], 1)
    await writer.delete(NS, ["m19"])  # the newest row
    await reader.vector_search(NS, vectors[0], 1)  # replays the delete
    await writer.upsert(records(vectors[20:21], start=20))
    assert (await reader.vector_search(NS, vectors[20], 1))[0].record.memory_id == "m20"
    await reader.aclose()
    await writer.aclose()


async def test_a_move_leaves_one_namespace_and_reaches_the_other(tmp_path: Path) -> None:
    vectors = clustered(40)
    reader = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    writer = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await writer.upsert(records(vectors[:20]))
    await writer.upsert([r.model_copy(update={"namespace": "x/y/z"}) for r in records(vectors[20:40], start=20)])
    for namespace in (NS, "x/y/z"):
        await reader.vector_search(namespace, vectors[0], 1)
    assert await writer.move(NS, "x/y/z", ["m3"]) == 1
    assert "m3" not in [h.record.memory_id for h in await reader.vector_search(NS, vectors[3], 5)]
    assert (await reader.vector_search("x/y/z", vectors[3], 1))[0].record.memory_id == "m3"
    await reader.aclose()
    await writer.aclose()


async def test_a_quiet_namespace_keeps_its_index_while_the_log_is_pruned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import somnia_memory_store.embedded.store as embedded

    monkeypatch.setattr(embedded, "CHANGES_KEPT", 10)
    vectors = clustered(60)
    reader = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    writer = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await writer.upsert(records(vectors[:30]))
    busy = [r.model_copy(update={"namespace": "x/y/z"}) for r in records(vectors[30:60], start=30)]
    await writer.upsert(busy)
    await reader.vector_search(NS, vectors[0], 1)
    quiet = reader._indexes[NS]
    await writer.delete("x/y/z", [f"m{i}" for i in range(30, 55)])  # 25 changes: the log is pruned twice
    await reader.vector_search(NS, vectors[0], 1)
    assert reader._indexes[NS] is quiet  # none of its changes were pruned: no reload
    await reader.aclose()
    await writer.aclose()


async def test_a_graph_built_before_a_scrub_may_not_be_saved_after_it(tmp_path: Path) -> None:
    store = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await store.upsert(records(clustered(10)))
    await store.vector_search(NS, clustered(1)[0], 1)
    seen = store._indexes[NS].change_seq
    assert not store._scrubbed_since(NS, seen)
    await store.delete(NS, ["m1"])
    await store.scrub(NS)
    assert store._scrubbed_since(NS, seen)
    await store.aclose()


async def behind_a_saved_graph(
    tmp_path: Path, vectors: np.ndarray, first: int
) -> tuple[EmbeddedMemoryStore, EmbeddedMemoryStore, object]:
    """A reader whose index was loaded with the `first` rows (below the threshold: exact), and a builder
    that then wrote the rest and built and saved the graph. Returns (reader, builder, the reader's index)."""
    reader = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    builder = EmbeddedMemoryStore(tmp_path / "m.db", ann=SMALL)
    await builder.upsert(records(vectors[:first]))
    await reader.vector_search(NS, vectors[0], 3)
    current = reader._indexes[NS]
    await builder.upsert(records(vectors[first:], start=first))
    await built(builder)  # built and saved by the other process
    return reader, builder, current


async def test_a_graph_another_process_saved_loads_beside_the_index_that_keeps_answering(tmp_path: Path) -> None:
    vectors = clustered(900)
    reader, builder, current = await behind_a_saved_graph(tmp_path, vectors, 200)
    ids = [f"m{i}" for i in range(900)]
    # The reader catches up the rows and sees the saved graph: it answers exactly while it loads it.
    for i, q in enumerate(vectors[:3]):
        assert [h.record.memory_id for h in await reader.vector_search(NS, q, 5)] == exact_top(vectors, q, 5, ids)
        if i == 0:
            assert reader._indexes[NS] is current  # the search did not reload it under the lock
    await builder.upsert(records(clustered(2, seed=9), start=5000))  # written during the reload
    deadline = time.monotonic() + 30.0
    while reader._indexes[NS] is current and time.monotonic() < deadline:
        await reader.vector_search(NS, vectors[1], 3)
        await asyncio.sleep(0.02)
    assert reader._indexes[NS] is not current, "the saved graph was never loaded"
    state = await reader.vector_index_state(NS)
    assert (state.rows, state.graph_rows, state.building) == (902, 902, False)  # adopted and caught up
    found = [h.record.memory_id for h in await reader.vector_search(NS, clustered(2, seed=9)[0], 1)]
    assert found == ["m5000"]
    await reader.aclose()
    await builder.aclose()


async def test_a_scrub_during_the_reload_keeps_the_loaded_index_out(tmp_path: Path) -> None:
    vectors = clustered(700)
    reader, builder, stale = await behind_a_saved_graph(tmp_path, vectors, 100)
    await reader.vector_search(NS, vectors[0], 3)  # marks the index stale
    reader._reload(NS, object())  # type: ignore[arg-type]  # as if the index had been replaced meanwhile
    assert reader._indexes[NS] is stale  # what the reload read was not swapped in
    await builder.delete(NS, [f"m{i}" for i in range(10)])
    await builder.scrub(NS)
    assert "m3" not in [h.record.memory_id for h in await reader.vector_search(NS, vectors[3], 5)]
    await reader.aclose()
    await builder.aclose()


def test_a_graph_extended_from_another_thread_runs_on_one_openmp_thread() -> None:
    import threading

    import faiss
    from somnia_memory_store.embedded.ann import HnswGraph

    graph = HnswGraph.create(DIM, SMALL)
    seen: list[int] = []

    def build() -> None:  # a thread of its own, as the background build and the store's workers are
        graph.extend(clustered(50), 50)
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
    assert graph.size == 50 and seen == [1]


async def test_a_failed_reload_keeps_the_index_answering_and_waits_before_trying_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors = clustered(700)
    reader, builder, current = await behind_a_saved_graph(tmp_path, vectors, 100)
    tries: list[int] = []

    def broken(namespace: str, conn: object) -> None:
        tries.append(1)
        raise OSError("disk went away")

    monkeypatch.setattr(reader, "_load_index", broken)
    for _ in range(20):
        assert len(await reader.vector_search(NS, vectors[1], 3)) == 3
        await asyncio.sleep(0.01)
    assert reader._indexes[NS] is current and len(tries) == 1  # one try, then a pause
    await reader.aclose()
    await builder.aclose()
