"""Inline reads (recall's setting): reads run on the event loop's thread, except a namespace's first
vector read, which loads its index and must not hold the loop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore


def _record(i: int) -> MemoryRecord:
    vector = np.zeros(8, dtype=np.float32)
    vector[i % 8] = 1.0
    return MemoryRecord(
        namespace="a/b/c",
        memory_id=f"m{i}",
        session_id="s",
        turn_id=f"t{i}",
        text=f"turn {i} about the ferry",
        role="user",
        embedder="test-embedder",
        vector=vector,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_the_first_vector_read_loads_on_a_worker_thread_then_reads_run_inline(tmp_path: Path) -> None:
    store = EmbeddedMemoryStore(tmp_path / "m.sqlite3", inline_reads=True)
    await store.upsert([_record(i) for i in range(5)])
    threads: list[int] = []
    ranked = store._vector_ranked

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return ranked(*args, **kwargs)

    store._vector_ranked = spy  # type: ignore[method-assign]
    query = np.eye(8, dtype=np.float32)[2]
    first = await store.hybrid_search("a/b/c", "ferry", query, 3)
    second = await store.hybrid_search("a/b/c", "ferry", query, 3)
    loop_thread = threading.get_ident()
    assert threads[0] != loop_thread, "loading the namespace's index held the event loop"
    assert threads[1] == loop_thread
    assert [h.record.memory_id for h in first] == [h.record.memory_id for h in second]
    assert first[0].record.memory_id == "m2"
    await store.aclose()


@pytest.mark.parametrize("inline", [False, True])
async def test_inline_and_threaded_reads_answer_alike(tmp_path: Path, inline: bool) -> None:
    store = EmbeddedMemoryStore(tmp_path / "m.sqlite3", inline_reads=inline)
    await store.upsert([_record(i) for i in range(12)])
    query = np.eye(8, dtype=np.float32)[3]
    hits = await store.hybrid_search("a/b/c", "turn 3 ferry", query, 4)
    assert hits[0].record.memory_id == "m3"
    assert [r.memory_id for r in await store.get("a/b/c", ["m1", "m7", "nope"])] == ["m1", "m7"]
    assert await store.count("a/b/c") == 12
    nearest = await store.nearest_ids("a/b/c", query[None, :], 2)
    assert nearest[0][0][0] in {"m3", "m11"}
    await store.aclose()


async def test_a_large_namespace_searches_on_worker_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from somnia_memory_store.embedded import store as store_module

    monkeypatch.setattr(store_module, "INLINE_SEARCH_ROWS", 3)  # 5 rows is "large" here
    store = EmbeddedMemoryStore(tmp_path / "m.sqlite3", inline_reads=True)
    await store.upsert([_record(i) for i in range(5)])
    threads: list[int] = []
    ranked = store._vector_ranked

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return ranked(*args, **kwargs)

    store._vector_ranked = spy  # type: ignore[method-assign]
    query = np.eye(8, dtype=np.float32)[2]
    for _ in range(2):
        assert (await store.hybrid_search("a/b/c", "ferry", query, 3))[0].record.memory_id == "m2"
    assert threading.get_ident() not in threads
    await store.aclose()
