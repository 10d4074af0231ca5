"""One contract for every GraphStore adapter (the `graph_store` fixture is parametrized over them)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from somnia_graph_store import (
    CommunityNode,
    FeedbackCounts,
    FeedbackNode,
    GraphStore,
    MemoryNode,
    MemoryUse,
    Mention,
    PatternNode,
    SessionNode,
    Similarity,
    Supersession,
    ToolUse,
    TurnNode,
    TurnRef,
    Verdict,
    VerdictStatus,
)

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


def mention(ns: str, session: str, turn_id: str, key: str) -> Mention:
    return Mention(namespace=ns, session_id=session, turn_id=turn_id, entity_key=key, name=key.title(), kind="name")


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


async def test_delete_namespace_removes_every_kind_of_node(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id="s1", agent="a", tools=("t",))])
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1)])
    await graph_store.upsert_mentions([mention(ns, "s1", "t1", "x")])
    assert await graph_store.delete_namespace(ns) == 5
    for label in ("Session", "Turn", "Entity", "Tool", "Agent"):
        assert await graph_store.count(ns, label) == 0  # type: ignore[arg-type]


async def test_turn_distances_count_steps_both_ways(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", f"t{i}", i) for i in range(1, 6)])
    assert await graph_store.turn_distances(ns, "s1", "t3", hops=2) == {"t2": 1, "t4": 1, "t1": 2, "t5": 2}
    assert await graph_store.turn_distances(ns, "s1", "t1", hops=1) == {"t2": 1}


async def test_session_digests_page_by_id_with_tools_and_entities_in_order(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id="s1", agent="ops", outcome="failed")])
    await graph_store.upsert_turns(
        [turn(ns, "s1", "t2", 2), turn(ns, "s1", "t1", 1), turn(ns, "s2", "u1", 60 * 24 * 30)]
    )
    await graph_store.upsert_turns([turn(ns, "s3", "v1", 5)])
    await graph_store.upsert_tool_uses([ToolUse(namespace=ns, session_id="s1", turn_id="t2", tool="grep")])
    await graph_store.upsert_mentions(
        [Mention(namespace=ns, session_id="s1", turn_id="t1", entity_key="topic:disk", name="disk")]
    )
    window = {"since": T0, "until": T0 + timedelta(days=7)}
    first = await graph_store.session_digests(ns, **window, limit=2)
    assert [d.session_id for d in first.digests] == ["s1"]  # s2 is outside the window
    assert first.next_after == "s2"
    (s1,) = first.digests
    assert (s1.agent, s1.outcome) == ("ops", "failed")
    assert [t.turn_id for t in s1.turns] == ["t1", "t2"]
    assert s1.turns[0].entities == ("topic:disk",) and s1.turns[1].tools == ("grep",)
    assert s1.turns[0].occurred_at == T0 + timedelta(minutes=1)
    rest = await graph_store.session_digests(ns, **window, after=first.next_after, limit=2)
    assert [d.session_id for d in rest.digests] == ["s3"] and rest.next_after is None


async def test_patterns_replace_their_supporting_turns_and_lift_them(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1), turn(ns, "s1", "t2", 2), turn(ns, "s2", "u1", 3)])

    def pattern(pattern_id: str, lower: float, turns: list[tuple[str, str]]) -> PatternNode:
        return PatternNode(
            namespace=ns,
            pattern_id=pattern_id,
            kind="tool_sequence",
            items=("grep", "restart"),
            description="grep then restart",
            support=2,
            confidence=1.0,
            successes=3,
            success_lower=lower,
            supporting_turns=tuple(TurnRef(session_id=s, turn_id=t) for s, t in turns),
        )

    await graph_store.upsert_patterns(
        [pattern("p1", 0.4, [("s1", "t1"), ("s2", "u1")]), pattern("p2", 0.7, [("s1", "t1")])]
    )
    await graph_store.upsert_patterns([pattern("p1", 0.5, [("s1", "t2")])])  # a rerun replaces p1's support
    unproven = pattern("p3", 0.1, [("s2", "u1")]).model_copy(update={"successes": 0})
    await graph_store.upsert_patterns([unproven])  # no outcome yet: its prior lifts nothing
    refs = [TurnRef(session_id="s1", turn_id=t) for t in ("t1", "t2")] + [TurnRef(session_id="s2", turn_id="u1")]
    found = await graph_store.pattern_success(ns, refs)
    assert found == {refs[0]: pytest.approx(0.7), refs[1]: pytest.approx(0.5)}
    assert await graph_store.count(ns, "Pattern") == 3


async def test_communities_keep_ids_and_replace_members(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_mentions(
        [
            Mention(namespace=ns, session_id="s1", turn_id="t1", entity_key=f"topic:{k}", name=k)
            for k in ("disk", "logs", "tls")
        ]
    )
    community = CommunityNode(
        namespace=ns,
        community_id="c1",
        kind="entities",
        label="disk, logs",
        members=("topic:disk", "topic:logs"),
        size=2,
        insight_memory_id="i-1",
        sources=("m-1", "m-2"),
    )
    await graph_store.upsert_communities([community])
    await graph_store.upsert_communities([community.model_copy(update={"members": ("topic:tls",), "size": 1})])
    (found,) = await graph_store.communities(ns, "entities")
    assert (found.community_id, found.members, found.size) == ("c1", ("topic:tls",), 1)
    assert await graph_store.communities(ns, "cluster") == []
    assert await graph_store.count(ns, "Community") == 1
    assert await graph_store.insight_sources(ns, ["i-1", "m-1"]) == {"i-1": ["m-1", "m-2"]}


async def test_erasing_a_session_takes_its_turns_memories_feedback_and_orphan_entities(
    graph_store: GraphStore, ns: str
) -> None:
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id=s, agent="ops") for s in ("s1", "s2")])
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1), turn(ns, "s1", "t2", 2), turn(ns, "s2", "u1", 3)])
    await graph_store.upsert_memories(
        [
            MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id=f"{ns}-a"),
            MemoryNode(namespace=ns, session_id="s2", turn_id="u1", memory_id=f"{ns}-b"),
        ]
    )
    await graph_store.upsert_mentions(
        [
            Mention(namespace=ns, session_id="s1", turn_id="t1", entity_key="penicillin", name="penicillin"),
            Mention(namespace=ns, session_id="s1", turn_id="t2", entity_key="kyoto", name="Kyoto"),
            Mention(namespace=ns, session_id="s2", turn_id="u1", entity_key="kyoto", name="Kyoto"),
        ]
    )
    await graph_store.upsert_feedback(
        [
            FeedbackNode(
                namespace=ns, feedback_id="f1", target="memory", target_id=f"{ns}-a", signal="helped", reported_at=T0
            )
        ]
    )
    removed = await graph_store.erase_sessions(ns, ["s1", "never-was"])
    assert removed == 6  # session, two turns, a memory, its feedback, the entity only s1 mentioned
    assert await graph_store.session_turns(ns, "s1") == []
    assert await graph_store.count(ns, "Memory") == 1 and await graph_store.count(ns, "Feedback") == 0
    assert [e.key for e in await graph_store.entity_turns(ns, ["penicillin", "kyoto"], 10)] == ["kyoto"]
    assert await graph_store.count(ns, "Entity") == 1
    assert await graph_store.erase_sessions(ns, ["s1"]) == 0  # twice is harmless


async def test_erasing_a_memory_takes_its_bare_turn_and_keeps_the_chain(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", f"t{i}", i) for i in range(1, 4)])
    await graph_store.upsert_memories(
        [MemoryNode(namespace=ns, session_id="s1", turn_id=f"t{i}", memory_id=f"{ns}-m{i}") for i in range(1, 4)]
    )
    assert await graph_store.erase_memories(ns, [f"{ns}-m2"]) == 2  # the memory and its turn
    assert await graph_store.session_turns(ns, "s1") == ["t1", "t3"]
    assert await graph_store.turn_neighbours(ns, "s1", "t1") == ["t3"]
    assert await graph_store.erase_memories(ns, [f"{ns}-m2"]) == 0


async def test_insights_citing_a_memory_are_found_and_repointed(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_communities(
        [
            CommunityNode(
                namespace=ns,
                community_id="c1",
                kind="cluster",
                label="x",
                members=("m-1",),
                size=1,
                insight_memory_id="i-1",
                sources=("m-1", "m-2"),
            )
        ]
    )
    (citing,) = await graph_store.insights_citing(ns, ["m-2", "m-9"])
    assert (citing.label, citing.group_id, citing.insight_memory_id) == ("Community", "c1", "i-1")
    await graph_store.set_group_insight(ns, "Community", "c1", "i-1", ["m-1"])
    assert await graph_store.insights_citing(ns, ["m-2"]) == []
    assert await graph_store.insight_sources(ns, ["i-1"]) == {"i-1": ["m-1"]}


async def test_uses_are_counted_once_each_and_the_recent_ones_kept(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_memories([MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id=f"{ns}-m")])

    def use(n: int) -> MemoryUse:
        return MemoryUse(namespace=ns, memory_id=f"{ns}-m", use_id=f"r{n}", used_at=T0 + timedelta(hours=n))

    await graph_store.record_uses([use(n) for n in range(10)])
    await graph_store.record_uses([use(9), MemoryUse(namespace=ns, memory_id="unknown", use_id="x", used_at=T0)])
    found = await graph_store.memory_uses(ns, [f"{ns}-m", "unknown"])
    assert list(found) == [f"{ns}-m"]
    history = found[f"{ns}-m"]
    assert history.count == 10  # the redelivered r9 counted once
    assert history.recent == tuple(T0 + timedelta(hours=n) for n in range(2, 10))


async def test_supersessions_say_what_replaced_a_memory_and_since_when(graph_store: GraphStore, ns: str) -> None:
    def replaced(newer: str, older: str, day: int) -> Supersession:
        return Supersession(
            namespace=ns, newer_id=newer, older_id=older, reason="correction", recorded_at=T0 + timedelta(days=day)
        )

    await graph_store.upsert_supersessions([replaced("m2", "m1", 2), replaced("m3", "m1", 5)])
    await graph_store.upsert_supersessions([replaced("m3", "m1", 5)])  # twice is once
    now = await graph_store.superseded(ns, ["m1", "m2", "m3"])
    assert list(now) == ["m1"] and now["m1"].newer_id == "m3" and now["m1"].reason == "correction"
    then = await graph_store.superseded(ns, ["m1"], as_of=T0 + timedelta(days=3))
    assert then["m1"].newer_id == "m2" and then["m1"].recorded_at == T0 + timedelta(days=2)
    assert await graph_store.superseded(ns, ["m1"], as_of=T0 + timedelta(days=1)) == {}


async def test_verdicts_are_kept_once_newest_first_and_go_with_their_memory(graph_store: GraphStore, ns: str) -> None:
    def verdict(vid: str, status: VerdictStatus, day: int) -> Verdict:
        return Verdict(
            namespace=ns,
            memory_id="m1",
            verdict_id=vid,
            status=status,
            evidence_id="m9" if status == "disproven" else "",
            reason=f"{status} on day {day}",
            recorded_at=T0 + timedelta(days=day),
        )

    await graph_store.upsert_memories([MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id="m1")])
    await graph_store.upsert_verdicts([verdict("v1", "downgraded", 1), verdict("v2", "disproven", 4)])
    await graph_store.upsert_verdicts([verdict("v2", "disproven", 4)])  # redelivered: still one
    now = await graph_store.verdicts(ns, ["m1", "m2"])
    assert list(now) == ["m1"] and now["m1"].status == "disproven" and now["m1"].evidence_id == "m9"
    then = await graph_store.verdicts(ns, ["m1"], as_of=T0 + timedelta(days=2))
    assert then["m1"].status == "downgraded"
    assert await graph_store.verdicts(ns, ["m1"], as_of=T0) == {}
    await graph_store.erase_memories(ns, ["m1"])
    assert await graph_store.verdicts(ns, ["m1"]) == {}
