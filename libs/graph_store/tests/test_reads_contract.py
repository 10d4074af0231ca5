"""The graph port's RecallReader role: distances in a session, and what ranking reads back.

One contract for every adapter: the `graph_store` fixture (conftest) is parametrized over them."""

from somnia_graph_store import (
    GraphStore,
    TurnRef,
)
from somnia_graph_store.testing import turn


async def test_turn_distances_count_steps_both_ways(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", f"t{i}", i) for i in range(1, 6)])
    await graph_store.upsert_turns([turn(ns, "s2", f"t{i}", i) for i in range(1, 4)])
    t3, t1, other, unknown = (
        TurnRef(session_id=s, turn_id=t) for s, t in (("s1", "t3"), ("s1", "t1"), ("s2", "t1"), ("s1", "t9"))
    )
    assert await graph_store.turn_distances(ns, [t3], hops=2) == [{"t2": 1, "t4": 1, "t1": 2, "t5": 2}]
    assert await graph_store.turn_distances(ns, [t1], hops=1) == [{"t2": 1}]
    # Many seeds in one read, each with its own walk, in the order asked; one never reaches another
    # session, an unknown turn has no neighbours, and the seed itself is never its own neighbour.
    assert await graph_store.turn_distances(ns, [t1, other, unknown, t3], hops=3) == [
        {"t2": 1, "t3": 2, "t4": 3},
        {"t2": 1, "t3": 2},
        {},
        {"t2": 1, "t4": 1, "t1": 2, "t5": 2},
    ]
    assert await graph_store.turn_distances(ns, [], hops=2) == []
