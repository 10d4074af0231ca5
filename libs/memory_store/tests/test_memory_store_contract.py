"""One contract for every MemoryStore adapter: `store` and `store_factory` are parametrized over
the embedded SQLite store and Weaviate (a real server)."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from somnia_memory_store import EmbedderMismatchError, MemoryRecord, MemoryStore, SearchFilter

from .conftest import StoreFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DIM = 8


def unit(*values: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(values)] = values
    return (v / np.linalg.norm(v)).astype(np.float32)


def record(
    memory_id: str,
    text: str,
    vector: np.ndarray,
    *,
    namespace: str = "a/b/c",
    session: str = "s1",
    role: str = "user",
    minutes: int = 0,
    embedder: str = "test-embedder",
) -> MemoryRecord:
    return MemoryRecord(
        memory_id=memory_id,
        namespace=namespace,
        text=text,
        session_id=session,
        turn_id=memory_id,
        role=role,
        occurred_at=T0 + timedelta(minutes=minutes),
        recorded_at=T0,
        embedder=embedder,
        vector=vector,
    )


async def seed(store: MemoryStore) -> None:
    await store.upsert(
        [
            record("m1", "My dog Max loves the beach", unit(1, 0), minutes=1),
            record("m2", "The deploy failed: disk full", unit(0, 1), session="s2", role="assistant", minutes=2),
            record("m3", "Max chewed my running shoes", unit(0.9, 0.1), minutes=3),
            record("x1", "Max is a secret in another namespace", unit(1, 0), namespace="other/b/c"),
        ]
    )


async def test_vector_search_ranks_by_cosine_within_the_namespace(store: MemoryStore) -> None:
    await seed(store)
    hits = await store.vector_search("a/b/c", unit(1, 0), k=3)
    assert [h.record.memory_id for h in hits] == ["m1", "m3", "m2"]
    assert hits[0].vector_score == pytest.approx(1.0, abs=1e-5)
    assert all(h.record.namespace == "a/b/c" for h in hits)


async def test_keyword_search_is_bm25_and_scoped(store: MemoryStore) -> None:
    await seed(store)
    hits = await store.keyword_search("a/b/c", "what did Max do?", k=10)
    assert {h.record.memory_id for h in hits} == {"m1", "m3"}
    assert await store.keyword_search("a/b/c", "the of and", k=10) == []  # stop words only
    assert await store.keyword_search("a/b/c", 'NEAR("x" OR) * ^', k=10) == []  # FTS syntax is literal


async def test_hybrid_fuses_both_signals(store: MemoryStore) -> None:
    await seed(store)
    hits = await store.hybrid_search("a/b/c", "disk full", unit(1, 0), k=3, alpha=0.5)
    ids = [h.record.memory_id for h in hits]
    assert set(ids) == {"m1", "m2", "m3"}
    m2 = next(h for h in hits if h.record.memory_id == "m2")
    assert m2.keyword_rank == 1 and m2.keyword_score == 1.0
    only_keywords = await store.hybrid_search("a/b/c", "disk full", unit(1, 0), k=3, alpha=0.0)
    assert only_keywords[0].record.memory_id == "m2"
    with pytest.raises(ValueError, match="alpha"):
        await store.hybrid_search("a/b/c", "x", unit(1, 0), k=3, alpha=1.5)


async def test_filters_apply_to_both_retrievers(store: MemoryStore) -> None:
    await seed(store)
    only_s2 = SearchFilter(session_ids=("s2",))
    assert [h.record.memory_id for h in await store.vector_search("a/b/c", unit(1, 0), 5, only_s2)] == ["m2"]
    assert await store.keyword_search("a/b/c", "Max", 5, only_s2) == []
    late = SearchFilter(occurred_after=T0 + timedelta(minutes=2))
    assert {h.record.memory_id for h in await store.hybrid_search("a/b/c", "Max", unit(1, 0), 5, filter=late)} == {
        "m2",
        "m3",
    }
    users = SearchFilter(roles=("user",))
    assert {h.record.memory_id for h in await store.vector_search("a/b/c", unit(0, 1), 5, users)} == {
        "m1",
        "m3",
    }


async def test_records_survive_reopening_the_store(store_factory: StoreFactory) -> None:
    first = store_factory()
    await seed(first)
    await first.aclose()
    again = store_factory()
    assert await again.count("a/b/c") == 3
    (m1,) = await again.get("a/b/c", ["m1"])
    assert m1.text == "My dog Max loves the beach" and m1.occurred_at == T0 + timedelta(minutes=1)
    assert np.allclose(m1.vector, unit(1, 0))


async def test_a_second_client_sees_writes_and_deletes(store_factory: StoreFactory) -> None:
    writer, reader = store_factory(), store_factory()
    assert await reader.vector_search("a/b/c", unit(1, 0), 5) == []
    await seed(writer)
    assert len(await reader.vector_search("a/b/c", unit(1, 0), 5)) == 3
    assert await writer.delete("a/b/c", ["m1", "x1", "nope"]) == 1  # x1 is in another namespace
    assert [h.record.memory_id for h in await reader.vector_search("a/b/c", unit(1, 0), 5)] == ["m3", "m2"]
    assert await reader.keyword_search("a/b/c", "beach", 5) == []


async def test_upserting_the_same_id_twice_stores_it_once(store: MemoryStore) -> None:
    await store.upsert([record("m1", "hello there", unit(1, 0))])
    await store.upsert([record("m1", "hello there", unit(1, 0)), record("m1", "hello there", unit(1, 0))])
    assert await store.count("a/b/c") == 1
    await store.upsert([record("m1", "hello cosmos", unit(0, 1))])
    (m1,) = await store.get("a/b/c", ["m1"])
    assert m1.text == "hello cosmos"
    assert [h.record.memory_id for h in await store.keyword_search("a/b/c", "cosmos", 5)] == ["m1"]
    assert await store.keyword_search("a/b/c", "there", 5) == []


async def test_a_rewrite_writes_each_record_once_and_every_index_finds_it(store: MemoryStore) -> None:
    # A retried batch mixes records the failed attempt stored with ones it never reached.
    await store.upsert([record("m1", "my dog Max loves the beach", unit(1, 0))])
    retried = [record("m1", "my dog Max loves the beach", unit(1, 0)), record("m2", "disk full again", unit(0, 1))]
    await store.upsert(retried, rewrite=True)
    await store.upsert(retried, rewrite=True)
    assert await store.count("a/b/c") == 2
    assert [r.memory_id for r in await store.get("a/b/c", ["m1", "m2"])] == ["m1", "m2"]
    assert [h.record.memory_id for h in await store.keyword_search("a/b/c", "beach", 5)] == ["m1"]
    assert [h.record.memory_id for h in await store.vector_search("a/b/c", unit(1, 0), k=1)] == ["m1"]
    assert [r.memory_id for r in await store.scan("a/b/c")] == ["m1", "m2"]


async def test_switching_embedders_is_refused_with_a_clear_error(store: MemoryStore) -> None:
    await store.upsert([record("m1", "hi", unit(1, 0))])
    with pytest.raises(EmbedderMismatchError, match="holds vectors from test-embedder"):
        await store.upsert([record("m2", "hi", unit(1, 0), embedder="another-model")])
    with pytest.raises(EmbedderMismatchError, match="somnia reindex --embedder"):
        await store.check_embedder("another-model", DIM)
    await store.check_embedder("test-embedder", DIM)
    assert await store.count("a/b/c") == 1


async def test_an_unknown_namespace_is_empty_not_an_error(store: MemoryStore) -> None:
    assert await store.count("nobody/was/here") == 0
    assert await store.vector_search("nobody/was/here", unit(1, 0), 5) == []
    assert await store.hybrid_search("nobody/was/here", "max", unit(1, 0), 5) == []
    assert await store.get("nobody/was/here", ["m1"]) == []


async def test_status_and_kind_are_stored_filtered_and_updated(store: MemoryStore) -> None:
    await seed(store)
    disproven = record("m3", "Max chewed my running shoes", unit(0.9, 0.1), minutes=3).model_copy(
        update={"status": "disproven"}
    )
    await store.upsert([disproven])
    (m3,) = await store.get("a/b/c", ["m3"])
    assert m3.status == "disproven" and m3.kind == "episodic"
    asserted = SearchFilter(statuses=("asserted",))
    assert {h.record.memory_id for h in await store.vector_search("a/b/c", unit(1, 0), 5, asserted)} == {"m1", "m2"}
    assert {h.record.memory_id for h in await store.keyword_search("a/b/c", "Max", 5, asserted)} == {"m1"}
    assert await store.keyword_search("a/b/c", "Max", 5, SearchFilter(kinds=("insight",))) == []


async def test_recorded_before_recalls_what_was_known_then(store: MemoryStore) -> None:
    early = record("k1", "the launch moved to Friday", unit(1, 0))
    late = record("k2", "the launch moved to Monday", unit(1, 0.1)).model_copy(
        update={"recorded_at": T0 + timedelta(days=2)}
    )
    await store.upsert([early, late])
    then = SearchFilter(recorded_before=T0 + timedelta(days=1))
    for hits in (
        await store.vector_search("a/b/c", unit(1, 0), 5, then),
        await store.keyword_search("a/b/c", "launch moved", 5, then),
        await store.hybrid_search("a/b/c", "launch moved", unit(1, 0), 5, filter=then),
    ):
        assert [h.record.memory_id for h in hits] == ["k1"]


async def test_nearest_ids_answers_many_queries_like_one_each(store: MemoryStore) -> None:
    await seed(store)
    queries = np.vstack([unit(1, 0), unit(0, 1), unit(1, 1)]).astype(np.float32)
    many = await store.nearest_ids("a/b/c", queries, 2)
    for query, found in zip(queries, many, strict=True):
        one = await store.vector_search("a/b/c", query, 2)
        assert [memory_id for memory_id, _ in found] == [h.record.memory_id for h in one]
        assert [score for _, score in found] == pytest.approx([h.vector_score for h in one], abs=1e-4)
    assert await store.nearest_ids("x/y/z", queries, 2) == [[], [], []]


async def test_scan_pages_in_id_order_with_filters_and_vectors(store: MemoryStore) -> None:
    await seed(store)
    first = await store.scan("a/b/c", limit=2)
    assert [r.memory_id for r in first] == ["m1", "m2"]
    assert np.allclose(first[0].vector, unit(1, 0))
    rest = await store.scan("a/b/c", after=first[-1].memory_id, limit=2)
    assert [r.memory_id for r in rest] == ["m3"]
    assert await store.scan("a/b/c", after="m3") == []
    only_s1 = await store.scan("a/b/c", SearchFilter(session_ids=("s1",), occurred_after=T0 + timedelta(minutes=2)))
    assert [r.memory_id for r in only_s1] == ["m3"]
    assert await store.scan("nobody/b/c") == []


async def test_scan_all_reads_every_page_and_stops_at_a_limit(store: MemoryStore) -> None:
    from somnia_memory_store import scan_all

    await seed(store)
    assert [r.memory_id async for r in scan_all(store, "a/b/c", page_size=2)] == ["m1", "m2", "m3"]
    assert [r.memory_id async for r in scan_all(store, "a/b/c", page_size=2, limit=2)] == ["m1", "m2"]


async def test_move_takes_records_to_another_namespace_with_their_vectors_and_words(store: MemoryStore) -> None:
    await seed(store)
    cold = "a/b/c#archive"
    assert await store.move("a/b/c", cold, ["m1", "m3", "x1", "nope"]) == 2  # x1 lives elsewhere
    assert [h.record.memory_id for h in await store.keyword_search("a/b/c", "Max", k=5)] == []
    assert [h.record.memory_id for h in await store.vector_search("a/b/c", unit(1, 0), k=5)] == ["m2"]
    moved = await store.keyword_search(cold, "Max", k=5)
    assert sorted(h.record.memory_id for h in moved) == ["m1", "m3"]
    assert all(h.record.namespace == cold for h in moved)
    assert (await store.vector_search(cold, unit(1, 0), k=1))[0].record.memory_id == "m1"
    assert await store.move(cold, "a/b/c", ["m1"]) == 1
    assert await store.count("a/b/c") == 2 and await store.count(cold) == 1
    assert await store.move("a/b/c", cold, []) == 0


async def test_one_namespace_never_moves_another_namespaces_scores(store: MemoryStore) -> None:
    """BM25's statistics are the namespace's own: flooding another tenant with the query's words (and
    with many short documents, which would move the average length) changes nothing here."""
    await seed(store)
    queries = [("what did Max do?", unit(1, 0)), ("disk full deploy", unit(0, 1)), ("running shoes", unit(1, 1))]

    async def scores() -> list[list[tuple[str, float, float, float]]]:
        found = []
        for text, vector in queries:
            keyword = await store.keyword_search("a/b/c", text, k=10)
            hybrid = await store.hybrid_search("a/b/c", text, vector, k=10, alpha=0.5)
            found.append([(h.record.memory_id, round(h.score, 6), 0.0, 0.0) for h in keyword])
            found.append(
                [
                    (
                        h.record.memory_id,
                        round(h.score, 6),
                        round(h.keyword_score or 0, 6),
                        round(h.vector_score or 0, 6),
                    )
                    for h in hybrid
                ]
            )
        return found

    before = await scores()
    assert any(before), "the queries must find something for the comparison to mean anything"
    flood = [
        record(f"o{i}", text, unit(1, i % 3), namespace=f"tenant{i % 4}/b/c")
        for i, text in enumerate(["Max", "disk full", "Max Max Max beach", "shoes", "deploy failed"] * 40)
    ]
    await store.upsert(flood)
    assert await scores() == before
