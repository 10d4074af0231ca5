"""The dependency and plan cues (cues.py) on wording written apart from them: scenarios by three writers
who were shown no code, benchmark or corpus (an upstream fact, a habit that rests on it, a change that
undoes it; a conditional plan and the news that triggers it; look-alikes that rest on nothing).

Two writers' scenarios were read while the cues were widened (data/dependency_wording_seen.json); the
third's were never read (data/unseen_dependency_wording.json) and are the measure of what the cues do on
wording nobody fitted them to. A reading counts when it is of the right kind and its condition shares a
word with the writer's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from somnia_graph.cues import condition_of, hypothetical, says_change
from somnia_memory_model import content_keys, shared

DATA = Path(__file__).parent / "data"
SEEN = json.loads((DATA / "dependency_wording_seen.json").read_text(encoding="utf-8"))
UNSEEN = json.loads((DATA / "unseen_dependency_wording.json").read_text(encoding="utf-8"))

# Measured on 2026-11-29 when the cues were widened (before -> after): unseen dependents 0.33 -> 0.56 read
# with the right condition, plans 0.82 -> 0.86, changes 0.80 -> 0.85, look-alikes read 0.10 -> 0.10; seen
# dependents 0.40 -> 0.73, plans 0.66 -> 0.88, changes 0.79 -> 0.99, look-alikes 0.07 -> 0.02.
FLOORS = {
    "unseen": {"dependent": 0.54, "plan": 0.84, "change": 0.82},
    "seen": {"dependent": 0.71, "plan": 0.86, "change": 0.95},
}
LOOKALIKES_READ = {"unseen": 0.12, "seen": 0.04}
SETS = {"unseen": UNSEEN, "seen": SEEN}


def said(text: str) -> str:
    return f"Ravi: {text}"


def dependents(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(statement, the writer's condition) for every dependent, both hops of a chain."""
    return [
        (scenario[text], scenario[condition])
        for scenario in data["dependency_scenarios"]
        for text, condition in (("dependent", "condition"), ("dependent2", "condition2"))
        if text in scenario
    ]


def read_as(kind: str, text: str, condition: str) -> bool:
    found = condition_of(said(text))
    return (
        found is not None
        and found.kind == kind
        and bool(shared(content_keys(found.condition), content_keys(condition)))
    )


def share(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


@pytest.mark.parametrize("name", sorted(SETS))
def test_what_a_habit_rests_on_is_read_with_its_condition(name: str) -> None:
    reads = [read_as("depends_on", text, condition) for text, condition in dependents(SETS[name])]
    assert len(reads) >= 80
    assert share(reads) >= FLOORS[name]["dependent"], f"{name}: {share(reads):.2f} of {len(reads)}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_a_conditional_plan_is_read_with_its_trigger(name: str) -> None:
    scenarios = SETS[name]["plan_scenarios"]
    reads = [read_as("replaces_if", s["plan"], s["condition"]) for s in scenarios]
    assert share(reads) >= FLOORS[name]["plan"], f"{name}: {share(reads):.2f} of {len(reads)}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_news_that_a_fact_no_longer_holds_reads_as_a_change(name: str) -> None:
    changes = [s["change"] for s in SETS[name]["dependency_scenarios"]]
    reads = [says_change(text) and not hypothetical(text) for text in changes]
    assert share(reads) >= FLOORS[name]["change"], f"{name}: {share(reads):.2f} of {len(reads)}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_look_alikes_rest_on_nothing_and_plan_nothing(name: str) -> None:
    reads = [condition_of(said(text)) is not None for text in SETS[name]["lookalikes"]]
    assert share(reads) <= LOOKALIKES_READ[name], f"{name}: {share(reads):.2f} of {len(reads)}"


@pytest.mark.parametrize(
    "text",
    [
        "As long as I can remember, Dad's had a vegetable patch.",
        "In case you're wondering, the new intern's name is Tobiah.",
        "No idea why the printer only works on Tuesdays.",
        "We only found out about the leak because the neighbour downstairs complained.",
        "Let me know when you've got time and I'll send you the video.",
        "As I said, the boiler is in the loft.",
    ],
)
def test_idioms_and_stories_that_look_like_conditions_are_not_read(text: str) -> None:
    assert condition_of(said(text)) is None
