"""The graph handler under FastStream's TestNatsBroker, writing the embedded graph store."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from faststream.nats import TestNatsBroker
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM, MemoryIndexed, SessionStarted, Subjects, TurnCaptured
from somnia_graph.main import GraphApp
from somnia_graph.settings import GraphServiceSettings
from somnia_graph_store.embedded.store import EmbeddedGraphStore

T0 = datetime(2026, 11, 25, tzinfo=UTC)
NS = "a/b/c"


def turn(turn_id: str, minute: int) -> TurnCaptured:
    at = T0 + timedelta(minutes=minute)
    return TurnCaptured(
        namespace=NS, session_id="s1", turn_id=turn_id, role="user", content=turn_id, occurred_at=at, captured_at=at
    )


async def test_session_turn_and_memory_events_become_a_linked_graph(tmp_path: Path) -> None:
    store = EmbeddedGraphStore(tmp_path / "graph.sqlite3")
    app = GraphApp(GraphServiceSettings(health_port=0), store)
    await store.ensure_schema()
    async with TestNatsBroker(app.broker):
        started = SessionStarted(namespace=NS, session_id="s1", agent="helper", started_at=T0)
        await app.broker.publish(
            started.model_dump_json(), Subjects.session_started(NS, "s1"), stream=SESSION_STREAM.name
        )
        for t in (turn("t2", 2), turn("t1", 1), turn("t3", 3)):
            await app.broker.publish(t.model_dump_json(), Subjects.session_turn(NS, "s1"), stream=SESSION_STREAM.name)
        indexed = MemoryIndexed(
            namespace=NS,
            session_id="s1",
            turn_id="t1",
            memory_ids=("m1",),
            embedder="e",
            dimension=3,
            occurred_at=T0,
            indexed_at=T0,
        )
        await app.broker.publish(
            indexed.model_dump_json(), Subjects.memory_indexed(NS, "s1"), stream=MEMORY_STREAM.name
        )
        await app.broker.publish(
            '{"event_type": "nonsense"}', Subjects.session_turn(NS, "s1"), stream=SESSION_STREAM.name
        )
    assert await store.session_turns(NS, "s1") == ["t1", "t2", "t3"]
    assert await store.memories_of_turn(NS, "s1", "t1") == ["m1"]
    assert await store.count(NS, "Session") == 1
