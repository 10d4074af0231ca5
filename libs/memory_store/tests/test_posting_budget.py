"""BM25 in a big namespace scores only the terms it can afford: the rarest ones, while their matches
add up to the budget; a small namespace, or a budget of 0, scores every term."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

from .test_memory_store_contract import record

NS = "a/b/c"


def unit(i: int) -> np.ndarray:
    v = np.random.default_rng(i).standard_normal(8).astype(np.float32)
    return v / np.linalg.norm(v)


async def filled(path: Path, budget: int, rows: int = 400) -> EmbeddedMemoryStore:
    store = EmbeddedMemoryStore(path, keyword_postings=budget)
    texts = [f"an apple a day, entry {i}" + (" with a zebra" if i % 100 == 0 else "") for i in range(rows)]
    await store.upsert([record(f"m{i}", t, unit(i)) for i, t in enumerate(texts)])
    await store.vector_index_state(NS)  # the namespace's size comes from its loaded index
    return store


async def test_a_term_matching_too_many_rows_is_left_to_vector_search(tmp_path: Path) -> None:
    store = await filled(tmp_path / "m.db", budget=100)
    hits = await store.keyword_search(NS, "apple zebra", 10)
    assert {h.record.memory_id for h in hits} == {"m0", "m100", "m200", "m300"}  # "apple" (400 rows) dropped
    assert await store.keyword_search(NS, "apple", 10) == []  # the only term is over budget
    await store.aclose()


async def test_a_small_namespace_or_no_budget_scores_every_term(tmp_path: Path) -> None:
    for budget, path in ((1_000, tmp_path / "small.db"), (0, tmp_path / "off.db")):
        store = await filled(path, budget=budget)
        hits = await store.keyword_search(NS, "apple", 10)
        assert len(hits) == 10, budget
        await store.aclose()
