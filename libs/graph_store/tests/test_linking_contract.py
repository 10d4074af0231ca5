"""The graph port's LinkWriter role: turns chain, sessions merge, entities, tools, similarities, feedback.

One contract for every adapter: the `graph_store` fixture (conftest) is parametrized over them."""

from datetime import timedelta

import pytest
from somnia_graph_store import (
    FeedbackCounts,
    FeedbackNode,
    GraphStore,
    MemoryNode,
    SessionNode,
    Similarity,
    ToolUse,
    TurnRef,
)
from somnia_graph_store.testing import T0, mention, turn


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


async def test_entities_link_the_turns_that_mention_them(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1), turn(ns, "s2", "u1", 2)])
    for _ in range(2):  # redelivered mentions are merged, not counted twice
        await graph_store.upsert_mentions(
            [mention(ns, "s1", "t1", "caroline"), mention(ns, "s2", "u1", "caroline"), mention(ns, "s2", "u1", "paris")]
        )
    found = {e.key: e for e in await graph_store.entity_turns(ns, ["caroline", "paris", "nobody"], limit=10)}
    assert set(found) == {"caroline", "paris"}
    assert found["caroline"].mentions == 2
    assert set(found["caroline"].turns) == {
        TurnRef(session_id="s1", turn_id="t1"),
        TurnRef(session_id="s2", turn_id="u1"),
    }
    assert found["paris"].turns == (TurnRef(session_id="s2", turn_id="u1"),)
    assert len((await graph_store.entity_turns(ns, ["caroline"], limit=1))[0].turns) == 1
    assert await graph_store.count(ns, "Entity") == 2


async def test_agents_run_sessions_and_their_tools_are_counted(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_sessions(
        [
            SessionNode(namespace=ns, session_id="s1", agent="coder", started_at=T0, tools=("grep", "git")),
            SessionNode(namespace=ns, session_id="s2", agent="coder", started_at=T0 + timedelta(days=1)),
            SessionNode(namespace=ns, session_id="s3", agent="other", started_at=T0 + timedelta(days=2)),
        ]
    )
    await graph_store.upsert_turns([turn(ns, "s2", "t1", 1), turn(ns, "s2", "t2", 2)])
    for _ in range(2):
        await graph_store.upsert_tool_uses(
            [
                ToolUse(namespace=ns, session_id="s2", turn_id="t1", tool="git"),
                ToolUse(namespace=ns, session_id="s2", turn_id="t2", tool="git"),
            ]
        )
    assert await graph_store.agent_sessions(ns, "coder", limit=10) == ["s2", "s1"]
    assert await graph_store.agent_sessions(ns, "coder", limit=1) == ["s2"]
    # A later upsert that does not know the start (a session's end) keeps the order.
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id="s1", agent="coder", outcome="done")])
    assert await graph_store.agent_sessions(ns, "coder", limit=10) == ["s2", "s1"]
    assert await graph_store.agent_tools(ns, "coder", limit=10) == [("git", 3), ("grep", 1)]
    assert await graph_store.agent_tools(ns, "nobody", limit=10) == []
    assert await graph_store.count(ns, "Agent") == 2
    assert await graph_store.count(ns, "Tool") == 2


async def test_similar_memories_go_both_ways_best_first(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_similarities(
        [
            Similarity(namespace=ns, memory_id="m1", other_id="m2", score=0.9),
            Similarity(namespace=ns, memory_id="m1", other_id="m3", score=0.95),
        ]
    )
    similar = await graph_store.similar_memories(ns, ["m1", "m2", "m9"], limit=5)
    assert similar["m1"] == [("m3", pytest.approx(0.95)), ("m2", pytest.approx(0.9))]
    assert similar["m2"] == [("m1", pytest.approx(0.9))]
    assert "m9" not in similar
    assert (await graph_store.similar_memories(ns, ["m1"], limit=1))["m1"] == [("m3", pytest.approx(0.95))]


async def test_feedback_is_counted_once_per_report_and_sets_session_outcome(graph_store: GraphStore, ns: str) -> None:
    def report(fid: str, target: str, target_id: str, signal: str) -> FeedbackNode:
        return FeedbackNode(
            namespace=ns,
            feedback_id=fid,
            target=target,
            target_id=target_id,
            signal=signal,
            reported_at=T0,  # type: ignore[arg-type]
        )

    await graph_store.upsert_memories([MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id="m1")])
    for _ in range(2):
        await graph_store.upsert_feedback(
            [
                report("f1", "memory", "m1", "helped"),
                report("f2", "memory", "m1", "helped"),
                report("f3", "memory", "m1", "misled"),
                report("f4", "session", "s1", "failed"),
            ]
        )
    assert await graph_store.feedback_counts(ns, ["m1", "m2"]) == {"m1": FeedbackCounts(helped=2, misled=1)}
    assert await graph_store.count(ns, "Feedback") == 4
