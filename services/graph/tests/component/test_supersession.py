"""A new value or a correction supersedes the older memory it replaces, and Recall shows both: the
current one first, the old one flagged with its replacement; `as_of` shows what was believed then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from somnia_graph.service import GraphLinker
from somnia_graph.supersession import SupersessionDetector, attribute_of
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_retrieval import RankingSettings, Retriever

NS = "acme/helper/dana"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
SAID = [
    ("s1", "My favourite colour is blue.", 0, "user"),
    ("s1", "I like walking by the sea on Sundays.", 0, "user"),
    ("s2", "We should repaint the kitchen soon.", 3, "user"),
    ("s3", "Actually, my favourite colour is green now.", 6, "user"),
    ("s3", "My dentist moved her practice to Elm Street.", 6, "user"),
    ("s4", "Correction: the dentist is on Oak Street, not Elm Street.", 9, "user"),
]


def test_attributes_are_read_from_plain_sentences() -> None:
    assert attribute_of("Actually, my favourite colour is green now.") == ("favourite colour", "green")
    assert attribute_of("My car is a red Volvo") == ("car", "a red volvo")
    assert attribute_of("I like green") is None


async def test_new_values_and_corrections_supersede_and_recall_flags_them(tmp_path: Path, embedder, say) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    linker = GraphLinker(graph, supersession=SupersessionDetector(store))
    ids = await say(NS, SAID, store, graph, linker, T0)
    replaced = await graph.superseded(NS, ids)
    assert {k: v.newer_id for k, v in replaced.items()} == {ids[0]: ids[3], ids[4]: ids[5]}
    assert "favourite colour changed from 'blue' to 'green'" in replaced[ids[0]].reason

    retriever = Retriever(embedder, store, RankingSettings(), graph=graph)
    now = T0 + timedelta(days=20)
    found = await retriever.recall(NS, "What is my favourite colour?", k=5, now=now)
    assert found[0].record.memory_id == ids[3] and not found[0].superseded_by
    old = next(m for m in found if m.record.memory_id == ids[0])
    assert old.superseded_by == ids[3] and any("superseded by" in p for p in old.paths)
    dentist = await retriever.recall(NS, "Where is my dentist's practice?", k=3, now=now)
    assert dentist[0].record.memory_id == ids[5]
    # What was believed on day 4: blue, and nothing flags it yet.
    then = await retriever.recall(NS, "What is my favourite colour?", k=5, as_of=T0 + timedelta(days=4), now=now)
    assert then[0].record.memory_id == ids[0] and not then[0].superseded_by
    await store.aclose()
    await graph.aclose()
