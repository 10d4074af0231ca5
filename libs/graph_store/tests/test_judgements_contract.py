"""The graph port's UsesAndVerdicts role: uses, supersessions and verdicts.

One contract for every adapter: the `graph_store` fixture (conftest) is parametrized over them."""

from datetime import timedelta

from somnia_graph_store import (
    Dependency,
    DependencyKind,
    GraphStore,
    MemoryNode,
    MemoryUse,
    Supersession,
    Verdict,
    VerdictStatus,
)
from somnia_graph_store.testing import T0


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


async def test_a_plan_made_current_is_found_from_the_news_that_made_it_so(graph_store: GraphStore, ns: str) -> None:
    def current(plan: str, trigger: str, day: int) -> Verdict:
        return Verdict(
            namespace=ns,
            memory_id=plan,
            verdict_id=f"current:{trigger}",
            status="current",
            evidence_id=trigger,
            reason="its condition came true",
            recorded_at=T0 + timedelta(days=day),
        )

    memories = [MemoryNode(namespace=ns, session_id="s1", turn_id=f"t{n}", memory_id=f"m{n}") for n in range(1, 6)]
    await graph_store.upsert_memories(memories)
    await graph_store.upsert_verdicts([current("m1", "m3", 2), current("m2", "m3", 4), current("m4", "m5", 6)])
    await graph_store.upsert_verdicts([current("m1", "m3", 2)])  # redelivered: still one
    disproven = Verdict(
        namespace=ns, memory_id="m1", verdict_id="d", status="disproven", evidence_id="m5", recorded_at=T0
    )
    await graph_store.upsert_verdicts([disproven])  # evidence of another kind: not a trigger
    assert await graph_store.made_current(ns, ["m3", "m5", "m1"]) == {"m3": ["m1", "m2"], "m5": ["m4"]}
    assert await graph_store.made_current(ns, ["m3", "m5"], as_of=T0 + timedelta(days=3)) == {"m3": ["m1"]}
    assert await graph_store.made_current("other/tenant/x", ["m3"]) == {}
    await graph_store.erase_memories(ns, ["m1", "m5"])
    assert await graph_store.made_current(ns, ["m3", "m5"]) == {"m3": ["m2"]}


async def test_dependencies_are_kept_once_per_kind_with_their_upstream_and_go_with_their_memory(
    graph_store: GraphStore, ns: str
) -> None:
    def dependency(memory_id: str, kind: DependencyKind, condition: str, day: int, upstream: str = "") -> Dependency:
        return Dependency(
            namespace=ns,
            memory_id=memory_id,
            kind=kind,
            condition=condition,
            keys=tuple(condition.split()),
            upstream_id=upstream,
            occurred_at=T0 + timedelta(days=day),
            recorded_at=T0 + timedelta(days=day),
        )

    gym = dependency("m2", "depends_on", "near flat", 2, upstream="m1")
    train = dependency("m3", "replaces_if", "change jobs", 1)
    await graph_store.upsert_dependencies([gym, train])
    await graph_store.upsert_dependencies([gym])  # redelivered: still one
    both = dependency("m2", "replaces_if", "move out", 3)
    await graph_store.upsert_dependencies([both])
    assert await graph_store.dependencies(ns) == [train, gym, both]
    assert await graph_store.dependencies("other/tenant/x") == []
    await graph_store.erase_memories(ns, ["m2"])
    assert await graph_store.dependencies(ns) == [train]
