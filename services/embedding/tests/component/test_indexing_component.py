"""The embedding handler under FastStream's TestNatsBroker, with the real embedder and store."""

from datetime import UTC, datetime
from pathlib import Path

from faststream.nats import TestNatsBroker
from somnia_contracts import SESSION_STREAM, Subjects, TurnCaptured
from somnia_embedding.main import EmbeddingApp
from somnia_embedding.settings import EmbeddingSettings
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def turn(turn_id: str, content: str) -> TurnCaptured:
    return TurnCaptured(
        namespace="a/b/c",
        session_id="s1",
        turn_id=turn_id,
        role="user",
        content=content,
        occurred_at=NOW,
        captured_at=NOW,
    )


async def test_published_turns_become_searchable_memories(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    app = EmbeddingApp(EmbeddingSettings(health_port=0, chunk_words=16, chunk_overlap_words=4), embedder, store)
    long_text = " ".join(f"word{i}" for i in range(40))
    async with TestNatsBroker(app.broker):
        for t in (
            turn("t1", "I keep my bike in the garage"),
            turn("t2", long_text),
            turn("t1", "I keep my bike in the garage"),
        ):
            await app.broker.publish(
                t.model_dump_json(), Subjects.session_turn("a/b/c", "s1"), stream=SESSION_STREAM.name
            )
        await app.handler.drain()
    assert await store.count("a/b/c") == 1 + 3  # t1 once despite the repeat; t2 in three chunks
    (vector,) = await embedder.embed(["where is the bicycle?"])
    best = (await store.vector_search("a/b/c", vector, 1))[0].record
    assert (best.turn_id, best.role, best.embedder) == ("t1", "user", embedder.name)


async def test_malformed_bodies_are_dropped_without_blocking_the_rest(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    app = EmbeddingApp(EmbeddingSettings(health_port=0), embedder, store)
    async with TestNatsBroker(app.broker):
        await app.broker.publish(
            '{"schema_version": 99}', Subjects.session_turn("a/b/c", "s1"), stream=SESSION_STREAM.name
        )
        await app.broker.publish(
            turn("t3", "still indexed").model_dump_json(),
            Subjects.session_turn("a/b/c", "s1"),
            stream=SESSION_STREAM.name,
        )
        await app.handler.drain()
    assert await store.count("a/b/c") == 1
