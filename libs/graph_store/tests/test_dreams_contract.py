"""The graph port's DreamStore role: session digests, patterns and communities.

One contract for every adapter: the `graph_store` fixture (conftest) is parametrized over them."""

from datetime import timedelta

import pytest
from somnia_graph_store import (
    CommunityNode,
    GraphStore,
    Mention,
    PatternNode,
    SessionNode,
    ToolUse,
    TurnRef,
)
from somnia_graph_store.testing import T0, turn


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
