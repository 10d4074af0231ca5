"""The graph port's RecallReader role: distances in a session, and what ranking reads back.

One contract for every adapter: the `graph_store` fixture (conftest) is parametrized over them."""

from somnia_graph_store import (
    GraphStore,
)
from somnia_graph_store.testing import turn


async def test_turn_distances_count_steps_both_ways(graph_store: GraphStore, ns: str) -> None:
    await graph_store.upsert_turns([turn(ns, "s1", f"t{i}", i) for i in range(1, 6)])
    assert await graph_store.turn_distances(ns, "s1", "t3", hops=2) == {"t2": 1, "t4": 1, "t1": 2, "t5": 2}
    assert await graph_store.turn_distances(ns, "s1", "t1", hops=1) == {"t2": 1}
