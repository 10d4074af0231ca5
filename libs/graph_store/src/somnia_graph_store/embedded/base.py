"""The embedded graph: nodes and edges in one SQLite file, for one machine.

Nodes are keyed by (namespace, label, key); edges by (namespace, type, source, target). NEXT edges of a
session are rebuilt from its turns' order whenever turns arrive, so out-of-order delivery still yields
one chain.

The connection, its schema and the helpers every role shares; the roles are mixins over it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from somnia_graph_store.ports import Label

P = ParamSpec("P")
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS node (
    namespace TEXT NOT NULL,
    label TEXT NOT NULL,
    key TEXT NOT NULL,
    props TEXT NOT NULL,
    sort_key TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (namespace, label, key)
);
CREATE TABLE IF NOT EXISTS edge (
    namespace TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    weight REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (namespace, type, source, target)
);
"""
# After the tables, and after an older file's edge table gained its weight column.
INDEXES = """
CREATE INDEX IF NOT EXISTS edge_target ON edge(namespace, type, target);
CREATE INDEX IF NOT EXISTS node_sort ON node(namespace, label, sort_key);
CREATE INDEX IF NOT EXISTS ran_by_start ON edge(namespace, source, weight) WHERE type = 'RAN';
CREATE INDEX IF NOT EXISTS memory_judged ON node(namespace, key)
    WHERE label = 'Memory' AND json_extract(props, '$.verdicts') IS NOT NULL;
"""
# PRAGMA user_version of a graph file whose RAN edges carry their session's start (see _backfill_ran_starts).
RAN_STARTS_VERSION = 1


# A turn's sort key starts with its session, so a session's turns are one contiguous index range and
# a new turn finds its neighbours in time with two index seeks.
SESSION_END = "\U0010ffff"


def session_start(started_at: str) -> float:
    """A session's stored start (ISO 8601) as seconds since the epoch: a RAN edge's weight; 0 (unknown)
    for a value that is no time, so one odd session cannot keep the file from opening."""
    try:
        return datetime.fromisoformat(started_at).timestamp()
    except ValueError:
        return 0.0


def turn_key(session_id: str, turn_id: str) -> str:
    return f"{session_id}/{turn_id}"


class EmbeddedGraphBase:
    def __init__(self, path: Path, *, inline_reads: bool = False) -> None:
        """`inline_reads` runs reads on the calling event loop's thread rather than a worker thread (see
        GraphStoreSettings.inline_reads); writes always go to a worker thread."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._inline_reads = inline_reads
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        # Freed pages are zeroed: erased entities and props do not linger in the file's free space.
        self._conn.execute("PRAGMA secure_delete=ON")
        self._lock = threading.Lock()
        # Here too, not only in ensure_schema: processes that only read (recall, cache-warming) name this
        # schema's indexes in their queries, whichever process opened the file first.
        self._ensure_schema_sync()

    async def ensure_schema(self) -> None:
        await asyncio.to_thread(self._ensure_schema_sync)

    def _ensure_schema_sync(self) -> None:
        with self._lock:
            self._conn.executescript(SCHEMA)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(edge)")}
            if "weight" not in columns:  # graphs written before SIMILAR_TO carried a score
                self._conn.execute("ALTER TABLE edge ADD COLUMN weight REAL NOT NULL DEFAULT 0")
            self._conn.executescript(INDEXES)
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version < RAN_STARTS_VERSION:
            self._transact(self._backfill_ran_starts)

    @staticmethod
    def _backfill_ran_starts(cur: sqlite3.Cursor) -> int:
        """Graphs written before a RAN edge carried its session's start (as its weight, so an agent's
        latest sessions are one index range): copy each start from its session, once."""
        rows = cur.execute(
            "SELECT e.namespace, e.source, e.target, json_extract(n.props, '$.started_at') FROM edge e "
            "JOIN node n ON n.namespace = e.namespace AND n.label = 'Session' AND n.key = substr(e.target, 9) "
            "WHERE e.type = 'RAN' AND e.weight = 0"
        ).fetchall()
        filled = [(session_start(str(started)), ns, src, dst) for ns, src, dst, started in rows if started]
        cur.executemany(
            "UPDATE edge SET weight = ? WHERE namespace = ? AND type = 'RAN' AND source = ? AND target = ?", filled
        )
        cur.execute(f"PRAGMA user_version = {RAN_STARTS_VERSION}")
        return len(filled)

    def _write(self, statements: list[tuple[str, tuple[object, ...]]]) -> None:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    cur.execute(sql, params)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def _transact(self, work: Callable[[sqlite3.Cursor], int]) -> int:
        """Run `work` in one immediate transaction (erasures, and read-modify-writes like uses); returns its count."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                removed = work(cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return removed

    def _merge_node(
        self, namespace: str, label: str, key: str, props: dict[str, object], sort_key: str = ""
    ) -> tuple[str, tuple[object, ...]]:
        # json_patch merges new non-null properties into the old ones, like Cypher's SET n += $props.
        return (
            "INSERT INTO node(namespace, label, key, props, sort_key) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(namespace, label, key) DO UPDATE SET "
            "props = json_patch(node.props, excluded.props), "
            "sort_key = CASE WHEN excluded.sort_key = '' THEN node.sort_key ELSE excluded.sort_key END",
            (namespace, label, key, json.dumps(props), sort_key),
        )

    @staticmethod
    def _edge(
        namespace: str, type_: str, source: str, target: str, weight: float = 0.0
    ) -> tuple[str, tuple[object, ...]]:
        return (
            "INSERT INTO edge(namespace, type, source, target, weight) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(namespace, type, source, target) DO UPDATE SET weight = excluded.weight",
            (namespace, type_, source, target, weight),
        )

    async def _reading(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a read: on the loop's own thread with inline_reads, else on a worker thread."""
        if self._inline_reads:
            return read(*args, **kwargs)
        return await asyncio.to_thread(read, *args, **kwargs)

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    async def count(self, namespace: str, label: Label) -> int:
        rows = await asyncio.to_thread(
            self._read, "SELECT COUNT(*) FROM node WHERE namespace = ? AND label = ?", (namespace, label)
        )
        return int(str(rows[0][0]))

    async def reachable(self) -> bool:
        def run() -> bool:
            with self._lock:
                return bool(self._conn.execute("SELECT 1").fetchone() == (1,))

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error:
            return False

    async def aclose(self) -> None:
        with self._lock:
            self._conn.close()
