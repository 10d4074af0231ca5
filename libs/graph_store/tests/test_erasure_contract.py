"""The graph port's ErasureStore role: sessions, memories, namespaces and the insights that quote them.

One contract for every adapter: the `graph_store` fixture (conftest) is parametrized over them."""

from somnia_graph_store import (
    CommunityNode,
    FeedbackNode,
    GraphStore,
    MemoryNode,
    Mention,
    SessionNode,
    TurnRef,
)
from somnia_graph_store.testing import T0, mention, turn


async def test_namespaces_never_mix_and_can_be_deleted(graph_store: GraphStore, ns: str) -> None:
    other = ns.replace("/agent/", "/other/")
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1), turn(ns, "s1", "t2", 2)])
    await graph_store.upsert_turns([turn(other, "s1", "t9", 0)])
    assert await graph_store.session_turns(ns, "s1") == ["t1", "t2"]
    assert await graph_store.session_turns(other, "s1") == ["t9"]
    assert await graph_store.delete_namespace(other) == 2  # its session and its turn
    assert await graph_store.count(other, "Turn") == 0
    assert await graph_store.count(ns, "Turn") == 2


async def test_delete_namespace_removes_every_kind_of_node(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_sessions([SessionNode(namespace=ns, session_id="s1", agent="a", tools=("t",))])
    await graph_store.upsert_turns([turn(ns, "s1", "t1", 1)])
    await graph_store.upsert_mentions([mention(ns, "s1", "t1", "x")])
    assert await graph_store.delete_namespace(ns) == 5
    for label in ("Session", "Turn", "Entity", "Tool", "Agent"):
        assert await graph_store.count(ns, label) == 0  # type: ignore[arg-type]


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
    assert await graph_store.turn_distances(ns, [TurnRef(session_id="s1", turn_id="t1")], hops=1) == [{"t3": 1}]
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


async def test_what_quotes_a_memory_is_found_by_link_and_the_link_goes_with_it(
    graph_store: GraphStore, ns: str
) -> None:
    await graph_store.upsert_memories(
        [
            MemoryNode(namespace=ns, session_id="s1", turn_id="t1", memory_id="m1"),
            MemoryNode(namespace=ns, session_id="s1", turn_id="t2", memory_id="m2"),
            MemoryNode(namespace=ns, session_id="s1", turn_id="n1", memory_id="n1", kind="negative", quotes=("m1",)),
            MemoryNode(
                namespace=ns, session_id="s1", turn_id="n2", memory_id="n2", kind="negative", quotes=("m1", "m2")
            ),
        ]
    )
    assert await graph_store.memories_quoting(ns, ["m1"]) == ["n1", "n2"]
    assert await graph_store.memories_quoting(ns, ["m2", "never-was"]) == ["n2"]
    assert await graph_store.memories_quoting(ns.replace("/agent/", "/other/"), ["m1"]) == []
    await graph_store.erase_memories(ns, ["n2"])
    assert await graph_store.memories_quoting(ns, ["m1", "m2"]) == ["n1"]
