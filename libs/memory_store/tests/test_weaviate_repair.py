"""The Weaviate adapter's repair after a slow batch (the client may have retried it by itself): only what
a lookup by memory id misses is written anew, and what it finds is never deleted. A stored-but-unindexed
object cannot be made on purpose, so the lookup's first answer is narrowed here (named as such)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from somnia_memory_store import MemoryRecord, StoreError
from somnia_memory_store.weaviate import store as store_module

from .conftest import weaviate_store

pytestmark = [pytest.mark.integration]
NS = "repair/agent/user"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def record(i: int) -> MemoryRecord:
    vector = np.zeros(8, dtype=np.float32)
    vector[i % 8] = 1.0
    return MemoryRecord(
        memory_id=f"m{i}", namespace=NS, text=f"memory number {i}", session_id="s", turn_id=f"t{i}",
        role="user", occurred_at=T0, recorded_at=T0, embedder="test", vector=vector,
    )  # fmt: skip


@pytest.fixture
async def store(weaviate_server: Any) -> Any:
    opened = weaviate_store(weaviate_server, f"Repair{uuid.uuid4().hex[:8]}")
    yield opened
    await opened.aclose()


def slow_inserts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch counts as slow as one the client retried."""
    monkeypatch.setattr(store_module, "CLIENT_RETRY_S", 0.0)


async def test_a_slow_batch_rewrites_only_what_a_lookup_misses(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.upsert([record(i) for i in range(6)])
    slow_inserts(monkeypatch)
    removed: list[str] = []
    real_remove, real_findable = store._remove_objects, store._findable
    answers = 0

    async def remove(namespace: str, memory_ids: list[str]) -> None:
        removed.extend(memory_ids)
        await real_remove(namespace, memory_ids)

    async def findable(namespace: str, memory_ids: list[str]) -> set[str]:
        nonlocal answers
        answers += 1
        found = await real_findable(namespace, memory_ids)
        return found - {"m2", "m4"} if answers == 1 else found  # a fake: two "unindexed" on the first look

    monkeypatch.setattr(store, "_remove_objects", remove)
    monkeypatch.setattr(store, "_findable", findable)
    await store.upsert([record(i) for i in range(6)])
    assert sorted(removed) == ["m2", "m4"]
    assert await store.count(NS) == 6
    assert [r.memory_id for r in await store.get(NS, [f"m{i}" for i in range(6)])] == [f"m{i}" for i in range(6)]


async def test_what_stays_unfindable_after_the_rewrite_fails_the_write(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_inserts(monkeypatch)

    async def never(namespace: str, memory_ids: list[str]) -> set[str]:
        return set()  # a fake: the index never takes them

    monkeypatch.setattr(store, "_findable", never)
    with pytest.raises(StoreError, match="stayed unindexed"):
        await store.upsert([record(1)])
