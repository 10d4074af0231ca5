"""A new value or a correction supersedes the older memory it replaces, and Recall shows both: the
current one first, the old one flagged with its replacement; `as_of` shows what was believed then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from somnia_contracts import MemoryIndexed, memory_id_for
from somnia_graph.service import GraphLinker
from somnia_graph.supersession import SupersessionDetector, attribute_of
from somnia_graph_store import MemoryNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
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


async def test_new_values_and_corrections_supersede_and_recall_flags_them(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    linker = GraphLinker(graph, supersession=SupersessionDetector(store))
    vectors = await embedder.embed([text for _, text, _, _ in SAID])
    ids = []
    for n, (session, text, day, role) in enumerate(SAID):
        at = T0 + timedelta(days=day, minutes=n)
        memory_id = memory_id_for(NS, session, f"t{n}", 0)
        ids.append(memory_id)
        record = MemoryRecord(
            memory_id=memory_id,
            namespace=NS,
            text=text,
            session_id=session,
            turn_id=f"t{n}",
            role=role,
            occurred_at=at,
            recorded_at=at,
            embedder=embedder.name,
            vector=vectors[n],
        )
        await store.upsert([record])
        await graph.upsert_memories(
            [MemoryNode(namespace=NS, session_id=session, turn_id=f"t{n}", memory_id=memory_id)]
        )
        await linker.link(
            [
                MemoryIndexed(
                    namespace=NS,
                    session_id=session,
                    turn_id=f"t{n}",
                    memory_ids=(memory_id,),
                    embedder=embedder.name,
                    dimension=embedder.dimension,
                    occurred_at=at,
                    indexed_at=at,
                )
            ]
        )
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
