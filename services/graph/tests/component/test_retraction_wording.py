"""Retractions in wording written apart from the detector: a user's statement and, later, a turn of theirs
that takes it back, by three writers who were shown no code, benchmark or corpus (a request to delete, "I
was wrong", "no longer true", an ending, a pointer back, a correction with the right value, a retraction
inside a longer turn, slang), and look-alikes that take nothing back (someone else's news, a file to
delete, a question, "you're wrong").

Each writer's scenarios are one user's history, linked as the graph service links it (real embedder,
embedded stores): every statement in a session of its own, followed by a filler; every retraction later,
in a session of its own after a statement about something else (a pointer back is said right after its
statement). Two writers' scenarios were read while the cues and the detector were widened
(data/retraction_wording_seen.json); the third's were never read (data/unseen_retraction_wording.json) and
are the measure on wording nobody fitted the detector to. A scenario counts when its statement gets a
verdict (retracted, deleted by its user, superseded) from its retraction; a wrong target is any other
memory that retraction took back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from somnia_embedder import Embedder
from somnia_graph.dependencies import DependencyTracker
from somnia_graph.retraction import RetractionDetector
from somnia_graph.service import GraphLinker
from somnia_graph.speech_acts import SpeechActReader, shipped_models
from somnia_graph.supersession import SupersessionDetector
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

from .conftest import FILLER, Say

DATA = Path(__file__).parent / "data"
NS = "acme/helper/dana"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
AFTER = FILLER[:4]
BEFORE = [
    "The traffic on the ring road was terrible again this morning.",
    "My neighbour finally finished painting his fence yesterday.",
    "We had a long meeting about the quarterly roadmap today.",
    "I picked up some fresh bread from the market on the way home.",
]
TAKEN = ("retracted", "deleted_by_user", "superseded", "disproven")

# Measured on 2026-11-29 when the detector was widened (before -> after): unseen writer 0.48 -> 0.61 of
# statements taken back by their retraction, retractions that also took back another 0.18 -> 0.16,
# look-alikes that took something back 0.22 -> 0.22; seen writers 0.50 -> 0.81, 0.17 -> 0.11, 0.18 -> 0.19.
FLOORS = {"unseen": 0.59, "seen": 0.79}
WRONG_AT_MOST = {"unseen": 0.17, "seen": 0.13}
LOOKALIKES_AT_MOST = {"unseen": 0.23, "seen": 0.20}


def _lines(data: dict[str, Any]) -> list[tuple[int, str, str, tuple[str, int]]]:
    """(day, session, text, what it is) in the order said."""
    scenarios, lines = data["scenarios"], []
    for i, s in enumerate(scenarios):
        lines.append((i, f"s{i}", s["fact"], ("fact", i)))
        if s["style"] == "anaphoric":
            lines.append((i, f"s{i}", s["retraction"], ("retraction", i)))
        lines.append((i, f"s{i}", AFTER[i % len(AFTER)], ("filler", i)))
    for i, s in enumerate(scenarios):
        if s["style"] != "anaphoric":
            lines.append((len(scenarios) + i, f"r{i}", BEFORE[i % len(BEFORE)], ("before", i)))
            lines.append((len(scenarios) + i, f"r{i}", s["retraction"], ("retraction", i)))
    for j, look in enumerate(data["lookalikes"]):
        lines.append((2 * len(scenarios) + j, f"l{j}", look["text"], ("lookalike", j)))
    return lines


async def _taken_back(
    tmp_path: Path, embedder: Embedder, say: Say, lines: Sequence[tuple[int, str, str, tuple[str, int]]]
) -> tuple[dict[tuple[str, int], str], dict[str, set[str]]]:
    """Links the history; returns each line's memory id and, per memory, the memories it took back."""
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    linker = GraphLinker(
        graph,
        supersession=SupersessionDetector(store),
        memory_store=store,
        retraction=RetractionDetector(store, speech_acts=SpeechActReader(shipped_models()), topics=embedder),
        dependencies=DependencyTracker(store, graph),
    )
    said = [(session, f"Dana: {text}", day, "user") for day, session, text, _ in lines]
    memory_ids = await say(NS, said, store, graph, linker, T0)
    ids = {what: memory_id for (_, _, _, what), memory_id in zip(lines, memory_ids, strict=True)}
    await graph.aclose()
    await store.aclose()
    # Every verdict a memory holds (the graph's reader gives only the newest): one statement may be taken
    # back by its own retraction and, wrongly, by another.
    took: dict[str, set[str]] = {}
    with sqlite3.connect(tmp_path / "g.db") as db:
        rows = db.execute(
            "SELECT key, json_extract(props, '$.verdicts'), e.source FROM node n LEFT JOIN edge e "
            "ON e.namespace = n.namespace AND e.type = 'SUPERSEDES' AND e.target = 'Memory:' || n.key "
            "WHERE n.label = 'Memory'"
        ).fetchall()
    for key, verdicts, newer in rows:
        for verdict in json.loads(verdicts or "{}").values():
            if verdict["status"] in TAKEN:
                took.setdefault(verdict["evidence_id"], set()).add(str(key))
        if newer:
            took.setdefault(str(newer).removeprefix("Memory:"), set()).add(str(key))
    return ids, took


def _histories(split: str) -> list[dict[str, Any]]:
    """Each writer's scenarios as one history: two writers wrote some of the same facts (a penicillin
    allergy, an old Honda Civic), and a retraction rightly takes back every statement of its fact."""
    name = "unseen_retraction_wording.json" if split == "unseen" else "retraction_wording_seen.json"
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    writers = sorted({s.get("writer", "") for s in data["scenarios"]})
    return [
        {
            "scenarios": [s for s in data["scenarios"] if s.get("writer", "") == w],
            "lookalikes": [look for look in data["lookalikes"] if look.get("writer", "") == w],
        }
        for w in writers
    ]


@pytest.mark.slow
@pytest.mark.parametrize("split", ["unseen", "seen"])
async def test_retractions_written_apart_take_back_their_statement(
    tmp_path: Path, embedder: Embedder, say: Say, split: str
) -> None:
    hits, wrong, looks = [], [], []
    for n, data in enumerate(_histories(split)):
        (tmp_path / str(n)).mkdir()
        ids, took = await _taken_back(tmp_path / str(n), embedder, say, _lines(data))
        for i in range(len(data["scenarios"])):
            by_it = took.get(ids[("retraction", i)], set())
            hits.append(ids[("fact", i)] in by_it)
            wrong.append(bool(by_it - {ids[("fact", i)]}))
        looks += [bool(took.get(ids[("lookalike", j)])) for j in range(len(data["lookalikes"]))]
    share = sum(hits) / len(hits)
    assert share >= FLOORS[split], f"{split}: {share:.2f} of statements taken back by their retraction"
    assert sum(wrong) / len(wrong) <= WRONG_AT_MOST[split], f"{split}: {sum(wrong)} retractions took back another"
    assert sum(looks) / len(looks) <= LOOKALIKES_AT_MOST[split], f"{split}: {sum(looks)} look-alikes took back"
