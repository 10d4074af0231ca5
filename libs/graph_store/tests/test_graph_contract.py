"""One contract for every GraphStore adapter (the `graph_store` fixture is parametrized over them)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from somnia_graph_store import GraphStore, MemoryNode, SessionNode, TurnNode

T0 = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def ns() -> str:
    """A namespace of this test's own: one Neo4j serves the whole run."""
    return f"t{uuid.uuid4().hex[:12]}/agent/user"


def turn(ns: str, session: str, turn_id: str, minute: int) -> TurnNode:
    return TurnNode(
        namespace=ns, session_id=session, turn_id=turn_id, role="user", occurred_at=T0 + timedelta(minutes=minute)
    )


async def test_turns_chain_in_time_order_even_when_they_arrive_out_of_order(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", "t3", 3), turn(ns, "s1", "t1", 1)])
    await graph_store.upsert_turns([turn(ns, "s1", "t2", 2), turn(ns, "s2", "u1", 0)])
    assert await graph_store.session_turns(ns, "s1") == ["t1", "t2", "t3"]
    assert await graph_store.session_turns(ns, "s2") == ["u1"]
    assert await graph_store.count(ns, "Turn") == 4
    assert await graph_store.count(ns, "Session") == 2


async def test_writes_are_idempotent(graph_store: GraphStore, ns: str) -> None:
    batch = [turn(ns, "s1", "t1", 1), turn(ns, "s1", "t2", 2)]
    for _ in range(3):
        await graph_store.upsert_turns(batch)
        await graph_store.upsert_memories([MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id="m1")])
    assert await graph_store.count(ns, "Turn") == 2
    assert await graph_store.count(ns, "Memory") == 1
    assert await graph_store.session_turns(ns, "s1") == ["t1", "t2"]


async def test_neighbours_follow_next_both_ways(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", f"t{i}", i) for i in range(1, 6)])
    assert await graph_store.turn_neighbours(ns, "s1", "t3") == ["t2", "t4"]
    assert await graph_store.turn_neighbours(ns, "s1", "t3", hops=2) == ["t2", "t4", "t1", "t5"]
    assert await graph_store.turn_neighbours(ns, "s1", "t1") == ["t2"]


async def test_memories_belong_to_their_turn(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_memories(
        [
            MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id=f"{ns}-m1"),
            MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id=f"{ns}-m2"),
        ]
    )
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1)])  # the turn arrives after its memories
    assert await graph_store.memories_of_turn(ns, "s1", "t1") == [f"{ns}-m1", f"{ns}-m2"]
    assert await graph_store.session_turns(ns, "s1") == ["t1"]


async def test_sessions_merge_without_losing_known_fields(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id="s1", agent="helper", started_at=T0)])
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id="s1", outcome="succeeded")])
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1)])
    assert await graph_store.count(ns, "Session") == 1


async def test_namespaces_never_mix_and_can_be_deleted(graph_store: GraphStore, ns: str) -> None:
    other = ns.replace("/agent/", "/other/")
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1), turn(ns, "s1", "t2", 2)])
    await graph_store.upsert_turns([turn(other, "s1", "t9", 0)])
    assert await graph_store.session_turns(ns, "s1") == ["t1", "t2"]
    assert await graph_store.session_turns(other, "s1") == ["t9"]
    assert await graph_store.delete_namespace(other) == 2  # its session and its turn
    assert await graph_store.count(other, "Turn") == 0
    assert await graph_store.count(ns, "Turn") == 2
