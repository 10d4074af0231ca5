"""Graph files written by earlier versions of the embedded store open with what later reads rely on."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from somnia_graph_store import SessionNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_sessions_run_before_ran_edges_carried_their_start_are_ordered_by_it(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite3"
    store = EmbeddedGraphStore(path)
    await store.ensure_schema()
    await store.upsert_sessions(
        [
            SessionNode(namespace="ns", session_id=f"s{i}", agent="coder", started_at=T0 + timedelta(days=i))
            for i in (3, 1, 2)
        ]
    )
    await store.aclose()
    # As an earlier version left it: RAN edges without a weight, the file at user_version 0.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE edge SET weight = 0 WHERE type = 'RAN'")
        conn.execute("PRAGMA user_version = 0")
        # A start that is no time is left unknown rather than keeping the file from opening.
        conn.execute(
            "INSERT INTO node(namespace, label, key, props) VALUES ('ns', 'Session', 'odd', ?)",
            ('{"started_at": "soon"}',),
        )
        conn.execute(
            "INSERT INTO edge(namespace, type, source, target) VALUES ('ns', 'RAN', 'Agent:coder', 'Session:odd')"
        )
    store = EmbeddedGraphStore(path)
    await store.ensure_schema()
    try:
        assert await store.agent_sessions("ns", "coder", limit=10) == ["s3", "s2", "s1", "odd"]
    finally:
        await store.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
