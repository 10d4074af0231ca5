"""The dependency index: a statement is tested only against dependencies it could be about, and that
must never leave out one the full test would match (a shared key, a stem that starts another, a name,
two words of the upstream memory, an upstream memory that changed)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from somnia_graph.dependencies import DependencyIndex
from somnia_graph_store import Dependency
from somnia_memory_model import shared

T = datetime(2026, 3, 1, tzinfo=UTC)
STEMS = ["gym", "flat", "near", "rota", "rotati", "rotation", "shift", "earli", "team", "postgr", "migrat", "train"]


def dependency(i: int, keys: list[str], names: tuple[str, ...] = (), upstream: str = "") -> Dependency:
    return Dependency(
        namespace="ns",
        memory_id=f"m{i}",
        kind="depends_on",
        condition=" ".join(keys) or "something",
        keys=tuple(sorted(keys)),
        names=names,
        upstream_id=upstream,
        occurred_at=T,
        recorded_at=T,
    )


def test_a_stem_that_starts_another_a_name_and_a_changed_upstream_are_all_found() -> None:
    known = [
        dependency(0, ["rotati", "shift"]),
        dependency(1, ["gym"], names=("harbour",)),
        dependency(2, ["postgr"], upstream="m-db"),
        dependency(3, ["train"]),
    ]
    index = DependencyIndex(known, {"m-db": frozenset({"databas", "cluster"})})
    assert [d.memory_id for d in index.candidates({"rota"})] == ["m0"]
    assert [d.memory_id for d in index.candidates({"harbour"})] == ["m1"]
    assert [d.memory_id for d in index.candidates({"cluster", "databas"})] == ["m2"]
    assert [d.memory_id for d in index.candidates({"weather"}, undone={"m-db"})] == ["m2"]
    assert index.candidates({"weather", "octopus"}) == []


def test_the_index_leaves_out_nothing_the_full_test_would_match() -> None:
    rng = random.Random(5)
    known = [dependency(i, rng.sample(STEMS, rng.randint(1, 3)), upstream=f"u{i % 4}") for i in range(60)]
    context = {f"u{j}": frozenset(rng.sample(STEMS, 2)) for j in range(4)}
    index = DependencyIndex(known, context)
    for _ in range(200):
        keys = frozenset(rng.sample(STEMS, rng.randint(1, 4)))
        found = {d.memory_id for d in index.candidates(keys)}
        for d in known:
            could = bool(shared(frozenset(d.keys), keys)) or bool(shared(context[d.upstream_id], keys))
            if could:
                assert d.memory_id in found, (d.keys, keys)
