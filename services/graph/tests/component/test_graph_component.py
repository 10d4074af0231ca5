"""The graph handler under FastStream's TestNatsBroker, writing the embedded graph store."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from faststream.nats import TestNatsBroker
from somnia_contracts import (
    MEMORY_STREAM,
    SESSION_STREAM,
    MemoryIndexed,
    MemoryRecalled,
    SessionStarted,
    Subjects,
    TurnCaptured,
)
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
        recalled = MemoryRecalled(namespace=NS, session_id="s1", recall_id="r1", memory_ids=("m1",), recalled_at=T0)
        for _ in range(2):  # a redelivery counts once
            await app.broker.publish(
                recalled.model_dump_json(), Subjects.memory_recalled(NS, "s1"), stream=MEMORY_STREAM.name
            )
    assert await store.session_turns(NS, "s1") == ["t1", "t2", "t3"]
    assert await store.memories_of_turn(NS, "s1", "t1") == ["m1"]
    assert (await store.memory_uses(NS, ["m1"]))["m1"].count == 1
    assert await store.count(NS, "Session") == 1


async def test_turns_link_entities_tools_similar_memories_and_feedback(tmp_path: Path) -> None:
    """Real extractor and a real embedded memory store: what recall's expansion and warming read."""
    import numpy as np
    from somnia_contracts import MemoryFeedback, ToolCallPayload
    from somnia_extraction import OfflineExtractor
    from somnia_graph.service import GraphLinker, SimilarityLinker
    from somnia_graph_store import FeedbackCounts, TurnRef
    from somnia_memory_store import MemoryRecord
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    graph = EmbeddedGraphStore(tmp_path / "graph.sqlite3")
    await graph.ensure_schema()
    memories = EmbeddedMemoryStore(tmp_path / "memory.sqlite3")
    vectors = {"m1": [1.0, 0.0, 0.0], "m2": [0.96, 0.28, 0.0], "m3": [0.0, 0.0, 1.0]}
    await memories.upsert(
        [
            MemoryRecord(
                memory_id=mid,
                namespace=NS,
                text=mid,
                session_id="s1",
                turn_id=f"t{mid[1]}",
                role="user",
                occurred_at=T0,
                recorded_at=T0,
                embedder="test",
                vector=np.asarray(v, dtype=np.float32),
            )
            for mid, v in vectors.items()
        ]
    )
    linker = GraphLinker(graph, OfflineExtractor(), SimilarityLinker(memories, top=2, threshold=0.6))
    said = turn("t1", 1).model_copy(update={"content": "Caroline went to the Boston marathon yesterday."})
    called = turn("t2", 2).model_copy(
        update={"role": "tool", "content": "weather", "tool_call": ToolCallPayload(name="get_weather", result="sun")}
    )
    indexed = [
        MemoryIndexed(
            namespace=NS,
            session_id="s1",
            turn_id=f"t{mid[1]}",
            memory_ids=(mid,),
            embedder="test",
            dimension=3,
            occurred_at=T0,
            indexed_at=T0,
        )
        for mid in vectors
    ]
    report = MemoryFeedback(
        namespace=NS, session_id="s1", feedback_id="f1", memory_id="m1", signal="helped", reported_at=T0
    )
    started = SessionStarted(namespace=NS, session_id="s1", agent="helper", started_at=T0, tools=("search",))
    for _ in range(2):  # a redelivered batch changes nothing
        await linker.link([started, said, called, *indexed, report])

    entities = {e.key: e for e in await graph.entity_turns(NS, ["caroline", "date:2026-11-24"], limit=5)}
    assert entities["caroline"].turns == (TurnRef(session_id="s1", turn_id="t1"),)
    assert entities["date:2026-11-24"].mentions == 1  # "yesterday", said on 2026-11-25
    assert await graph.agent_tools(NS, "helper", limit=5) == [("get_weather", 1), ("search", 1)]
    similar = await graph.similar_memories(NS, ["m1", "m3"], limit=5)
    assert [other for other, _ in similar["m1"]] == ["m2"]
    assert "m3" not in similar  # nothing near enough
    assert await graph.feedback_counts(NS, ["m1"]) == {"m1": FeedbackCounts(helped=1)}
    await memories.aclose()
    await graph.aclose()
