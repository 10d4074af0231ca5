"""What the promotion rule is given, read from the embedded stores: an insight's breadth from its
sources' sessions and agents, facts only when recalled often enough, and every way a memory's footing
can change (a superseded source, a verdict, a source gone, a replacement that became current)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from somnia_dreaming.models import DreamWindow
from somnia_dreaming.parametric.candidates import CandidateReader
from somnia_graph_store import CommunityNode, MemoryNode, MemoryUse, SessionNode, Supersession, TurnNode, Verdict
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_tokens import TokenizerSettings, create_token_counter

NS = "acme/ops-bot/team"
T0 = datetime(2026, 9, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=60)


def record(memory_id: str, session: str, text: str, *, kind: str = "episodic", day: int = 0) -> MemoryRecord:
    vector = np.zeros(384, dtype=np.float32)
    vector[hash(memory_id) % 384] = 1.0
    at = T0 + timedelta(days=day)
    return MemoryRecord(
        memory_id=memory_id,
        namespace=NS,
        kind=kind,
        text=text,
        session_id=session,
        turn_id=f"{memory_id}-t",
        role="user",
        occurred_at=at,
        recorded_at=at,
        embedder="all-MiniLM-L6-v2-int8-onnx",
        vector=vector,
    )


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedMemoryStore, EmbeddedGraphStore]]:
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    sources = [record(f"s{n}", f"session-{n}", f"The deploy on day {n} went out blue-green.", day=n) for n in range(6)]
    facts = [record(f"f{n}", "session-0", f"Fact number {n}: the on-call phone is 555-01{n}.", day=1) for n in range(4)]
    insights = [
        record(
            "i-broad",
            "dream",
            "Recurring topic across 5 sessions: blue-green deploys.\n- quotes",
            kind="semantic",
            day=5,
        ),
        record("i-moved", "dream", "Recurring topic across 3 sessions: deploy day.\n- quotes", kind="semantic", day=5),
        record("i-shift", "dream", "Recurring topic across 3 sessions: releases.\n- quotes", kind="semantic", day=5),
    ]
    await store.upsert([*sources, *facts, *insights])
    await graph.upsert_sessions(
        [SessionNode(namespace=NS, session_id=f"session-{n}", agent="ops" if n % 2 else "deployer") for n in range(6)]
    )
    await graph.upsert_turns(
        [
            TurnNode(namespace=NS, session_id=r.session_id, turn_id=r.turn_id, role="user", occurred_at=r.occurred_at)
            for r in sources + facts
        ]
    )
    await graph.upsert_memories(  # insights too: the graph links them as it links captured turns
        [
            MemoryNode(namespace=NS, session_id=r.session_id, turn_id=r.turn_id, memory_id=r.memory_id, kind=r.kind)
            for r in sources + facts + insights
        ]
    )
    groups = {
        "i-broad": ["s0", "s1", "s2", "s3", "s4"],
        "i-moved": ["s3", "s4", "gone"],
        "i-shift": ["s3", "s4", "s5"],
    }
    await graph.upsert_communities(
        [
            CommunityNode(
                namespace=NS,
                community_id=insight,
                kind="cluster",
                label=insight,
                members=tuple(ids),
                size=len(ids),
                insight_memory_id=insight,
                sources=tuple(ids),
            )
            for insight, ids in groups.items()
        ]
    )
    uses = {"i-broad": 8, "f0": 6, "f1": 6, "f2": 6, "f3": 2}
    await graph.record_uses(
        [
            MemoryUse(namespace=NS, memory_id=m, use_id=f"{m}-{i}", used_at=NOW)
            for m, n in uses.items()
            for i in range(n)
        ]
    )
    later = T0 + timedelta(days=50)
    await graph.upsert_supersessions(
        [Supersession(namespace=NS, newer_id="s4", older_id="s5", reason="changed", recorded_at=later)]
    )
    await graph.upsert_verdicts(
        [
            Verdict(namespace=NS, memory_id="f1", verdict_id="v1", status="disproven", recorded_at=later),
            Verdict(namespace=NS, memory_id="f2", verdict_id="v2", status="current", recorded_at=later),
        ]
    )
    yield store, graph
    await store.aclose()
    await graph.aclose()


async def test_candidates_carry_breadth_reach_and_every_change(
    stores: tuple[EmbeddedMemoryStore, EmbeddedGraphStore],
) -> None:
    store, graph = stores
    window = DreamWindow(namespace=NS, since=T0 - timedelta(days=1), until=T0 + timedelta(days=10))
    candidates, records = await CandidateReader(store, graph, create_token_counter(TokenizerSettings())).read(
        window, min_fact_uses=5
    )
    by_id = {c.memory_id: c for c in candidates.stats}
    assert set(by_id) == {"i-broad", "i-moved", "i-shift", "f0", "f1", "f2"}  # f3 was recalled twice: not a candidate
    assert set(records) == set(by_id)
    assert candidates.sessions == 6 and abs(candidates.sessions_per_day - 6 / 11) < 1e-9

    broad = by_id["i-broad"]
    assert (broad.sessions, broad.agents, broad.uses) == (5, 2, 8)
    assert broad.reach == 1.0 and broad.status == "asserted" and broad.unsettled == ""
    assert broad.topic == "blue-green deploys" and broad.tokens > 5
    assert broad.changed_at == T0 + timedelta(days=5)  # its newest source, by the conversation's time

    assert by_id["i-moved"].unsettled == "1 of its sources are gone (erased or archived)"
    shifted = by_id["i-shift"]  # s5, one of its sources, was superseded on day 50
    assert shifted.unsettled == "1 of its sources changed" and shifted.changed_at == T0 + timedelta(days=50)

    assert (by_id["f0"].sessions, by_id["f0"].agents, by_id["f0"].status) == (6, 1, "asserted")
    assert by_id["f1"].status == "disproven"
    assert by_id["f2"].status == "asserted" and by_id["f2"].changed_at == T0 + timedelta(days=50)
