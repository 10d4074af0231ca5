"""The embedded memory store: one SQLite file (WAL, fsync on commit) holding records, their vectors
and one FTS5 index per namespace for BM25, with an in-process vector index per namespace.

Each namespace has its own keyword index so that BM25's statistics (document count, average length,
term frequencies) are the namespace's own: one tenant's data never moves another tenant's scores.
Deleted content is overwritten on disk (secure_delete) and `scrub()` rewrites a namespace's keyword
index without the deleted entries and empties the WAL, so erased words do not stay readable.

Several processes share the file (embedding writes, recall reads). Each keeps its own vector index and
tops it up by rowid before a search, so a write is searchable by every process as soon as it commits.
Replacing, deleting or moving a row is logged in `memory_change` in the same transaction; each index
replays the namespace's changes since it last looked, so a status change costs readers one row, not a
reload. A namespace past `AnnConfig.threshold` rows is searched through an HNSW graph (vector_index.py),
saved in `<file>.ann/` so that a restart loads it; `scrub()` deletes that file and makes every process
rebuild its index from the remaining rows, so no erased vector stays in a graph.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from somnia_memory_store.embedded.ann import AnnConfig, GraphFiles
from somnia_memory_store.embedded.fts_query import fts_terms, match_expression
from somnia_memory_store.embedded.posting_budget import PostingBudget
from somnia_memory_store.embedded.vector_index import IndexView, NamespaceVectorIndex, VectorIndexState
from somnia_memory_store.fusion import relative_score_fusion
from somnia_memory_store.models import MemoryRecord, ReindexProgress, SearchFilter, SearchHit
from somnia_memory_store.ports import EmbedderMismatchError, ReindexError, StoreError

log = logging.getLogger("somnia.memory_store")
RELOAD_PAUSE_S = 30.0
# Rows below which a namespace's searches run inline (with inline_reads): they take well under a
# millisecond there, less than the hop to a worker thread.
INLINE_SEARCH_ROWS = 5_000
P = ParamSpec("P")
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS memory (
    rowid INTEGER PRIMARY KEY,
    memory_id TEXT NOT NULL UNIQUE,
    namespace TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    session_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    role TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    occurred_at REAL NOT NULL,
    recorded_at REAL NOT NULL,
    embedder TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    vector BLOB NOT NULL,
    ns TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'asserted'
);
CREATE INDEX IF NOT EXISTS memory_namespace_rowid ON memory(namespace, rowid);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memory_change (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    row INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS memory_change_namespace ON memory_change(namespace, seq);
CREATE TABLE IF NOT EXISTS change_floor (namespace TEXT PRIMARY KEY, seq INTEGER NOT NULL);
-- A reindex in progress: each row's vector from the target embedder, until the swap.
CREATE TABLE IF NOT EXISTS memory_reindex (rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL);
INSERT OR IGNORE INTO store_meta(key, value) SELECT 'rowid_high', COALESCE(MAX(rowid), 0) FROM memory;
"""
# A change with this row means "the namespace was scrubbed": readers rebuild its index from scratch.
SCRUBBED = 0
# The change log keeps this many entries; an index that fell further behind reloads its namespace.
CHANGES_KEPT = 200_000
LOAD_BATCH = 20_000
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# Before v4 one FTS table served every namespace, kept in step by these triggers.
OLD_TRIGGERS = ("memory_ai", "memory_ad", "memory_au")
SCHEMA_VERSION = 4

INDEX_COLUMNS = "rowid, session_id, role, kind, occurred_at, vector, status, recorded_at"
COLUMNS = (
    "rowid, memory_id, namespace, kind, text, session_id, turn_id, role, chunk_index, "
    "occurred_at, recorded_at, embedder, dimension, vector, status"
)


def namespace_token(namespace: str) -> str:
    return "n" + hashlib.sha256(namespace.encode()).hexdigest()[:24]


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the WAL into the database and truncate it, so old page images do not stay in the WAL file.
    A reader holding an old snapshot can block it; the next scrub (or SQLite's own checkpoints) finishes."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def fts_table(namespace: str) -> str:
    """The namespace's keyword index: a hex name, safe to put in SQL."""
    return f"fts_{namespace_token(namespace)}"


def ensure_fts(cur: sqlite3.Cursor, namespace: str) -> str:
    table = fts_table(namespace)
    # Contentless: the text lives once, in `memory`; entries are removed with FTS5's 'delete' command.
    cur.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(text, content='', tokenize='{FTS_TOKENIZER}')")
    return table


def fts_insert(cur: sqlite3.Cursor, namespace: str, rowid: int, text: str) -> None:
    table = ensure_fts(cur, namespace)
    cur.execute(f"INSERT INTO {table}(rowid, text) VALUES (?, ?)", (rowid, text))


def fts_delete(cur: sqlite3.Cursor, namespace: str, rowid: int, text: str) -> None:
    table = ensure_fts(cur, namespace)
    cur.execute(f"INSERT INTO {table}({table}, rowid, text) VALUES ('delete', ?, ?)", (rowid, text))


def log_change(cur: sqlite3.Cursor, namespace: str, rowid: int) -> None:
    """Record that a row of the namespace changed (or SCRUBBED); every CHANGES_KEPT entries, forget the
    oldest ones."""
    cur.execute("INSERT INTO memory_change(namespace, row) VALUES (?, ?)", (namespace, rowid))
    seq = int(cur.lastrowid or 0)
    if rowid != SCRUBBED:
        # A changed or deleted row's re-embedded vector is stale (or must go with it): a reindex in
        # progress embeds it again, and an erased memory leaves no vector behind.
        cur.execute("DELETE FROM memory_reindex WHERE rowid = ?", (rowid,))
    if seq % CHANGES_KEPT == 0:
        # Each namespace remembers the last change of its own that was forgotten: only an index (or a
        # saved graph) that had not seen it must reload.
        cur.execute(
            "INSERT INTO change_floor(namespace, seq) SELECT namespace, MAX(seq) FROM memory_change "
            "WHERE seq <= ? GROUP BY namespace ON CONFLICT(namespace) DO UPDATE SET seq = excluded.seq",
            (seq - CHANGES_KEPT,),
        )
        cur.execute("DELETE FROM memory_change WHERE seq <= ?", (seq - CHANGES_KEPT,))


def change_floor(conn: sqlite3.Connection | sqlite3.Cursor, namespace: str) -> int:
    row = conn.execute("SELECT seq FROM change_floor WHERE namespace = ?", (namespace,)).fetchone()
    return int(row[0]) if row else 0


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


class EmbeddedMemoryStore:
    """A MemoryStore on one SQLite file; safe to share between processes."""

    def __init__(
        self,
        path: Path,
        *,
        candidates: int = 50,
        ann: AnnConfig | None = None,
        keyword_postings: int = 30_000,
        inline_reads: bool = False,
    ) -> None:
        """`inline_reads` runs reads on the calling event loop's thread rather than a worker thread (see
        MemoryStoreSettings.inline_reads); a namespace's first vector read, which loads its index, and
        every write still go to a worker thread."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._inline_reads = inline_reads
        self._path = path
        self._candidates = candidates
        self._postings = PostingBudget(keyword_postings)
        self._ann = ann or AnnConfig()
        self._ann_dir = path.parent / f"{path.name}.ann"
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # Freed pages are zeroed: a deleted memory's text does not linger in the file's free space.
        self._conn.execute("PRAGMA secure_delete=ON")
        # FULL: a commit is on disk before upsert returns, so a consumer may ack right after.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)
        self._migrate()
        self._lock = threading.Lock()
        self._meta_lock = threading.Lock()
        self._meta_conn: sqlite3.Connection | None = None
        self._indexes: dict[str, NamespaceVectorIndex] = {}
        # Per namespace: the index and the file's change token it was last brought up to date at.
        self._fresh_as_of: dict[str, tuple[NamespaceVectorIndex, tuple[int, int]]] = {}
        self._reloading: set[str] = set()  # namespaces whose index loads again beside the current one
        self._reload_after: dict[str, float] = {}  # a failed reload is tried again after a pause
        self._closed = False

    def _migrate(self) -> None:
        """Bring a store written by an older version to SCHEMA_VERSION, in one transaction."""
        row = self._conn.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else (1 if self._has_table("memory_fts") else SCHEMA_VERSION)
        if row and version == SCHEMA_VERSION:
            return
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            if version < 2:
                # v1 had no namespace token in the FTS index: add it and rebuild the index.
                columns = {r[1] for r in cur.execute("PRAGMA table_info(memory)")}
                if "ns" not in columns:
                    cur.execute("ALTER TABLE memory ADD COLUMN ns TEXT NOT NULL DEFAULT ''")
                for (namespace,) in cur.execute("SELECT DISTINCT namespace FROM memory").fetchall():
                    cur.execute(
                        "UPDATE memory SET ns = ? WHERE namespace = ?",
                        (namespace_token(namespace), namespace),
                    )
            if version < 3:
                columns = {r[1] for r in cur.execute("PRAGMA table_info(memory)")}
                if "status" not in columns:
                    cur.execute("ALTER TABLE memory ADD COLUMN status TEXT NOT NULL DEFAULT 'asserted'")
            if version < 4:
                # v4: the shared keyword index becomes one per namespace, filled from the records.
                for trigger in OLD_TRIGGERS:
                    cur.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cur.execute("DROP TABLE IF EXISTS memory_fts")
                for (namespace,) in cur.execute("SELECT DISTINCT namespace FROM memory").fetchall():
                    table = ensure_fts(cur, namespace)
                    cur.execute(
                        f"INSERT INTO {table}(rowid, text) SELECT rowid, text FROM memory WHERE namespace = ?",
                        (namespace,),
                    )
            cur.execute(
                "INSERT OR REPLACE INTO store_meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def _has_table(self, name: str) -> bool:
        return self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

    # -- embedder identity ---------------------------------------------------------------------

    async def check_embedder(self, name: str, dimension: int) -> None:
        def run() -> None:
            with self._lock:
                self._check_embedder_locked(name, dimension)

        await asyncio.to_thread(run)

    def _check_embedder_locked(self, name: str, dimension: int) -> None:
        rows = dict(
            self._conn.execute("SELECT key, value FROM store_meta WHERE key IN ('embedder', 'dimension')").fetchall()
        )
        if not rows:
            return
        if rows.get("embedder") != name or int(rows.get("dimension", 0)) != dimension:
            raise EmbedderMismatchError(
                f"the store at {self._path} holds vectors from {rows.get('embedder')} "
                f"({rows.get('dimension')} dims) but the configured embedder is {name} ({dimension} dims). "
                "Configure the store's embedder, or move the store to this one with `somnia reindex --embedder`; "
                "mixing models in one index would make every similarity meaningless."
            )

    async def embedder_identity(self) -> tuple[str, int] | None:
        # Its own connection: embedders that follow the store ask before every call, and must not wait
        # behind the searches that hold the shared one.
        def run() -> tuple[str, int] | None:
            with self._meta_lock:
                if self._meta_conn is None:
                    self._meta_conn = sqlite3.connect(self._path, check_same_thread=False, timeout=30.0)
                rows = dict(
                    self._meta_conn.execute(
                        "SELECT key, value FROM store_meta WHERE key IN ('embedder', 'dimension')"
                    ).fetchall()
                )
            return (rows["embedder"], int(rows["dimension"])) if "embedder" in rows else None

        return await self._reading(run)

    # -- reindex: a new embedder's vectors beside the old ones, then one swap ----------------

    async def reindex_begin(self, name: str, dimension: int, *, restart: bool = False) -> ReindexProgress:
        """Start re-embedding every memory for `name`, or resume the reindex to it already in progress.
        Another target in progress is an error unless `restart` (its vectors are dropped)."""

        def run() -> ReindexProgress:
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    meta = dict(cur.execute("SELECT key, value FROM store_meta").fetchall())
                    target = meta.get("reindex_embedder")
                    if target is not None and (target, int(meta["reindex_dimension"])) != (name, dimension):
                        if not restart:
                            raise ReindexError(
                                f"a reindex to {target} is in progress in {self._path}; finish it with the same "
                                "--embedder, or start over with --restart"
                            )
                        target = None
                    if target is None:
                        cur.execute("DELETE FROM memory_reindex")
                        cur.executemany(
                            "INSERT OR REPLACE INTO store_meta(key, value) VALUES (?, ?)",
                            [("reindex_embedder", name), ("reindex_dimension", str(dimension))],
                        )
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                return self._reindex_progress_locked()

        return await asyncio.to_thread(run)

    async def reindex_progress(self) -> ReindexProgress:
        def run() -> ReindexProgress:
            with self._lock:
                return self._reindex_progress_locked()

        return await asyncio.to_thread(run)

    def _reindex_progress_locked(self) -> ReindexProgress:
        meta = dict(self._conn.execute("SELECT key, value FROM store_meta").fetchall())
        (total,) = self._conn.execute("SELECT COUNT(*) FROM memory").fetchone()
        (done,) = self._conn.execute(
            "SELECT COUNT(*) FROM memory_reindex r JOIN memory m ON m.rowid = r.rowid"
        ).fetchone()
        return ReindexProgress(
            embedder=meta.get("embedder"),
            target=meta.get("reindex_embedder"),
            done=int(done),
            total=int(total),
        )

    async def reindex_pending(self, limit: int, after: int = 0) -> list[tuple[int, str]]:
        """Up to `limit` memories past row key `after` not yet re-embedded for the target: (row key,
        text), in key order. Paging by `after` keeps each call from walking the rows already done."""

        def run() -> list[tuple[int, str]]:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT m.rowid, m.text FROM memory m LEFT JOIN memory_reindex r ON r.rowid = m.rowid "
                    "WHERE m.rowid > ? AND r.rowid IS NULL ORDER BY m.rowid LIMIT ?",
                    (after, limit),
                ).fetchall()
            return [(int(rowid), str(text)) for rowid, text in rows]

        return await asyncio.to_thread(run)

    async def reindex_write(
        self, target: str, keys: Sequence[int], texts: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> int:
        """Keep the `target` model's vectors of rows that still hold these texts (a row changed meanwhile
        is embedded again later); returns how many were kept."""

        def run() -> int:
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    row = cur.execute("SELECT value FROM store_meta WHERE key = 'reindex_embedder'").fetchone()
                    if row is None or row[0] != target:
                        raise ReindexError(
                            f"the reindex to {target} is no longer in progress (it was swapped, or another "
                            f"run started over{' to ' + row[0] if row else ''})"
                        )
                    kept = 0
                    for key, text, vector in zip(keys, texts, vectors, strict=True):
                        row = cur.execute("SELECT text FROM memory WHERE rowid = ?", (key,)).fetchone()
                        if row is None or row[0] != text:
                            continue
                        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
                        cur.execute("INSERT OR REPLACE INTO memory_reindex(rowid, vector) VALUES (?, ?)", (key, blob))
                        kept += 1
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            return kept

        return await asyncio.to_thread(run)

    async def reindex_swap(self) -> bool:
        """In one transaction, when every memory has its target vector: the target's vectors replace the
        old ones and the store's embedder becomes the target. False (nothing changed) while memories
        written meanwhile are still pending. Every process's index reloads; saved graphs are removed."""

        def run() -> bool:
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    meta = dict(cur.execute("SELECT key, value FROM store_meta").fetchall())
                    if "reindex_embedder" not in meta:
                        raise ReindexError("no reindex is in progress; start one with `somnia reindex --embedder`")
                    (pending,) = cur.execute(
                        "SELECT COUNT(*) FROM memory m WHERE NOT EXISTS "
                        "(SELECT 1 FROM memory_reindex r WHERE r.rowid = m.rowid)"
                    ).fetchone()
                    if pending:
                        cur.execute("ROLLBACK")
                        return False
                    name, dimension = meta["reindex_embedder"], int(meta["reindex_dimension"])
                    cur.execute(
                        "UPDATE memory SET embedder = ?, dimension = ?, "
                        "vector = (SELECT r.vector FROM memory_reindex r WHERE r.rowid = memory.rowid)",
                        (name, dimension),
                    )
                    cur.executemany(
                        "INSERT OR REPLACE INTO store_meta(key, value) VALUES (?, ?)",
                        [("embedder", name), ("dimension", str(dimension))],
                    )
                    cur.execute("DELETE FROM store_meta WHERE key IN ('reindex_embedder', 'reindex_dimension')")
                    cur.execute("DELETE FROM memory_reindex")
                    namespaces = [str(n) for (n,) in cur.execute("SELECT DISTINCT namespace FROM memory")]
                    for namespace in namespaces:
                        log_change(cur, namespace, SCRUBBED)  # every reader loads the new vectors afresh
                    cur.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        cur.execute("ROLLBACK")
                    raise
                for index in self._indexes.values():
                    index.close()
                self._indexes.clear()
            # Saved graphs hold the old vectors; a build in progress finishes first and does not save.
            for namespace in namespaces:
                self._remove_saved_graph(namespace)
            return True

        return await asyncio.to_thread(run)

    def _remove_saved_graph(self, namespace: str) -> None:
        if not self._ann_dir.exists():
            return
        files = GraphFiles(self._ann_dir, namespace_token(namespace))
        lock = files.lock()
        try:
            files.remove()
        finally:
            lock.release()

    # -- writes --------------------------------------------------------------------------------

    async def upsert(self, records: Sequence[MemoryRecord], *, rewrite: bool = False) -> None:
        # One SQLite transaction writes a record and its indexes together: nothing is ever half
        # written here, so a rewrite is the same as a plain upsert.
        if records:
            await asyncio.to_thread(self._upsert_sync, records)

    def _upsert_sync(self, records: Sequence[MemoryRecord]) -> None:
        embedders = {(r.embedder, int(r.vector.shape[0])) for r in records}
        if len(embedders) != 1:
            raise EmbedderMismatchError(f"one upsert mixes vectors of several embedders: {sorted(embedders)}")
        ((name, dimension),) = embedders
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                # Checked under the write lock: a reindex may swap the store's model until this moment.
                self._check_embedder_locked(name, dimension)
                cur.execute("INSERT OR IGNORE INTO store_meta(key, value) VALUES ('embedder', ?)", (name,))
                cur.execute("INSERT OR IGNORE INTO store_meta(key, value) VALUES ('dimension', ?)", (str(dimension),))
                changed = self._write_records(cur, records)
                for namespace, rowid in changed:
                    log_change(cur, namespace, rowid)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def _write_records(self, cur: sqlite3.Cursor, records: Sequence[MemoryRecord]) -> list[tuple[str, int]]:
        """Insert new records; update changed ones in place. Returns the (namespace, rowid) changed."""
        ids = [r.memory_id for r in records]
        existing: dict[str, tuple[str, str, str, str, int]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for memory_id, namespace, text, embedder, status, rowid in cur.execute(
                f"SELECT memory_id, namespace, text, embedder, status, rowid FROM memory WHERE memory_id IN ({marks})",
                chunk,
            ):
                existing[memory_id] = (namespace, text, embedder, status, int(rowid))
        changed: list[tuple[str, int]] = []
        # Rowids are never reused (a reader tops up by rowid): each insert takes the next above the
        # highest ever given, even if that row was deleted.
        (high,) = cur.execute("SELECT CAST(value AS INTEGER) FROM store_meta WHERE key = 'rowid_high'").fetchone()
        next_rowid = int(high) + 1
        for record in records:
            values = (
                record.namespace,
                record.kind,
                record.text,
                record.session_id,
                record.turn_id,
                record.role,
                record.chunk_index,
                _ts(record.occurred_at),
                _ts(record.recorded_at),
                record.embedder,
                int(record.vector.shape[0]),
                np.ascontiguousarray(record.vector, dtype=np.float32).tobytes(),
                record.status,
            )
            before = existing.get(record.memory_id)
            if before is None:
                rowid, next_rowid = next_rowid, next_rowid + 1
                cur.execute(
                    "INSERT INTO memory(namespace, kind, text, session_id, turn_id, role, chunk_index, "
                    "occurred_at, recorded_at, embedder, dimension, vector, status, memory_id, ns, rowid) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, record.memory_id, namespace_token(record.namespace), rowid),
                )
                fts_insert(cur, record.namespace, rowid, record.text)
                existing[record.memory_id] = (record.namespace, record.text, record.embedder, record.status, rowid)
            elif before[0] != record.namespace:
                raise StoreError(f"memory id {record.memory_id} already exists in another namespace; ids are global")
            elif before[1:4] != (record.text, record.embedder, record.status):
                if before[1] != record.text:
                    fts_delete(cur, record.namespace, before[4], before[1])
                    fts_insert(cur, record.namespace, before[4], record.text)
                cur.execute(
                    "UPDATE memory SET namespace=?, kind=?, text=?, session_id=?, turn_id=?, role=?, "
                    "chunk_index=?, occurred_at=?, recorded_at=?, embedder=?, dimension=?, vector=?, status=? "
                    "WHERE memory_id=?",
                    (*values, record.memory_id),
                )
                changed.append((record.namespace, before[4]))
            # else: a redelivered, identical record; keep the first copy.
        if next_rowid - 1 != int(high):
            cur.execute("UPDATE store_meta SET value = ? WHERE key = 'rowid_high'", (str(next_rowid - 1),))
        return changed

    async def delete(self, namespace: str, memory_ids: Sequence[str]) -> int:
        return await asyncio.to_thread(self._delete_sync, namespace, list(memory_ids))

    def _delete_sync(self, namespace: str, memory_ids: list[str]) -> int:
        deleted = 0
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(memory_ids), 500):
                    chunk = memory_ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = cur.execute(
                        f"SELECT rowid, text FROM memory WHERE +namespace = ? AND memory_id IN ({marks})",
                        (namespace, *chunk),
                    ).fetchall()
                    for rowid, text in rows:
                        fts_delete(cur, namespace, int(rowid), str(text))
                        log_change(cur, namespace, int(rowid))
                    cur.execute(
                        f"DELETE FROM memory WHERE +namespace = ? AND memory_id IN ({marks})",
                        (namespace, *chunk),
                    )
                    deleted += cur.rowcount
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return deleted

    async def scrub(self, namespace: str) -> None:
        """Rewrite the namespace's keyword index without the entries of deleted rows (FTS5 keeps them in
        old segments until a merge), drop it when the namespace is empty, then copy the WAL into the file
        and truncate it. Freed pages are zeroed (secure_delete), so no erased word stays on disk."""

        def run() -> None:
            table = fts_table(namespace)
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    if self._has_table(table):
                        (left,) = cur.execute(
                            "SELECT COUNT(*) FROM memory WHERE namespace = ?", (namespace,)
                        ).fetchone()
                        if left:
                            cur.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
                        else:
                            cur.execute(f"DROP TABLE {table}")
                    log_change(cur, namespace, SCRUBBED)
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                checkpoint(self._conn)
                index = self._indexes.pop(namespace, None)
                if index is not None:
                    index.close()
            # The saved graph still holds the deleted rows' vectors: every process rebuilds from the rest.
            # A build in progress (here or elsewhere) finishes first; it does not save after this scrub.
            self._remove_saved_graph(namespace)

        await asyncio.to_thread(run)

    async def move(self, namespace: str, to_namespace: str, memory_ids: Sequence[str]) -> int:
        def run() -> int:
            moved = 0
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    for start in range(0, len(memory_ids), 500):
                        chunk = list(memory_ids[start : start + 500])
                        marks = ",".join("?" * len(chunk))
                        rows = cur.execute(
                            f"SELECT rowid, text FROM memory WHERE +namespace = ? AND memory_id IN ({marks})",
                            (namespace, *chunk),
                        ).fetchall()
                        for rowid, text in rows:  # the keyword entry moves to the other namespace's index
                            fts_delete(cur, namespace, int(rowid), str(text))
                            fts_insert(cur, to_namespace, int(rowid), str(text))
                            log_change(cur, namespace, int(rowid))
                            log_change(cur, to_namespace, int(rowid))
                        cur.execute(
                            f"UPDATE memory SET namespace = ?, ns = ? WHERE +namespace = ? AND memory_id IN ({marks})",
                            (to_namespace, namespace_token(to_namespace), namespace, *chunk),
                        )
                        moved += cur.rowcount
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            return moved

        return await asyncio.to_thread(run) if memory_ids else 0

    # -- reads ---------------------------------------------------------------------------------

    async def _reading(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a read that never loads a vector index: inline with inline_reads, else on a worker thread."""
        if self._inline_reads:
            return read(*args, **kwargs)
        return await asyncio.to_thread(read, *args, **kwargs)

    def _search_inline(self, namespace: str) -> bool:
        """Whether a search of the namespace runs on the loop's thread: with inline_reads, once its index
        is loaded (loading a large namespace takes seconds), and while it is small. A large one's vector
        and keyword searches take milliseconds each and run side by side on worker threads (inline they
        ran one after the other: at 100,000 memories recall's p99 went from 71 to 97 ms)."""
        index = self._indexes.get(namespace)
        return self._inline_reads and index is not None and len(index) < INLINE_SEARCH_ROWS

    async def _vector_reading(self, namespace: str, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a read of the namespace's vector index: inline as _search_inline says, else on a worker thread."""
        if self._search_inline(namespace):
            return read(*args, **kwargs)
        return await asyncio.to_thread(read, *args, **kwargs)

    async def get(self, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]:
        return await self._reading(self._get_sync, namespace, list(memory_ids))

    def _get_sync(self, namespace: str, memory_ids: list[str]) -> list[MemoryRecord]:
        # `+namespace` keeps SQLite on the memory_id index; the namespace index would scan the namespace.
        if not memory_ids:
            return []
        marks = ",".join("?" * len(memory_ids))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {COLUMNS} FROM memory WHERE +namespace = ? AND memory_id IN ({marks})",
                (namespace, *memory_ids),
            ).fetchall()
        by_id = {row[1]: self._record(row) for row in rows}
        return [by_id[i] for i in memory_ids if i in by_id]

    async def scan(
        self, namespace: str, filter: SearchFilter | None = None, *, after: str = "", limit: int = 500
    ) -> list[MemoryRecord]:
        where, params = _filter_sql(filter)

        def run() -> list[MemoryRecord]:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT {COLUMNS} FROM memory m WHERE m.namespace = ? AND m.memory_id > ?{where} "
                    "ORDER BY m.memory_id LIMIT ?",
                    (namespace, after, *params, limit),
                ).fetchall()
            return [self._record(row) for row in rows]

        return await asyncio.to_thread(run)

    async def count(self, namespace: str) -> int:
        def run() -> int:
            with self._lock:
                (n,) = self._conn.execute("SELECT COUNT(*) FROM memory WHERE namespace = ?", (namespace,)).fetchone()
            return int(n)

        return await self._reading(run)

    async def vector_search(
        self, namespace: str, vector: npt.NDArray[np.float32], k: int, filter: SearchFilter | None = None
    ) -> list[SearchHit]:
        return await self._vector_reading(namespace, self._vector_sync, namespace, vector, k, filter)

    async def keyword_search(
        self, namespace: str, query: str, k: int, filter: SearchFilter | None = None
    ) -> list[SearchHit]:
        return await self._reading(self._keyword_sync, namespace, query, k, filter)

    async def nearest_ids(
        self, namespace: str, vectors: npt.NDArray[np.float32], k: int
    ) -> list[list[tuple[str, float]]]:
        def run() -> list[list[tuple[str, float]]]:
            with self._lock:
                view = self._fresh_index(namespace)
            ranked = view.search_many(np.asarray(vectors, dtype=np.float32), k)
            rowids = sorted({rowid for found in ranked for rowid, _ in found})
            marks = ",".join("?" * len(rowids))
            ids: dict[int, str] = {}
            if rowids:
                with self._lock:
                    sql = f"SELECT rowid, memory_id FROM memory WHERE namespace = ? AND rowid IN ({marks})"
                    ids = {int(r): str(m) for r, m in self._conn.execute(sql, (namespace, *rowids)).fetchall()}
            return [[(ids[r], score) for r, score in found if r in ids] for found in ranked]

        return await self._vector_reading(namespace, run)

    async def vector_index_state(self, namespace: str) -> VectorIndexState:
        """How the namespace's vectors are searched now (exact, building, or through a graph)."""

        def run() -> VectorIndexState:
            with self._lock:
                self._fresh_index(namespace)
                return self._indexes[namespace].state()

        return await asyncio.to_thread(run)

    async def hybrid_search(
        self,
        namespace: str,
        query: str,
        vector: npt.NDArray[np.float32],
        k: int,
        alpha: float = 0.5,
        filter: SearchFilter | None = None,
    ) -> list[SearchHit]:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be within [0, 1], got {alpha}")

        pool = max(k, self._candidates)

        def nothing() -> list[tuple[int, float]]:
            return []

        if self._search_inline(namespace):
            dense = self._vector_ranked(namespace, vector, pool, filter) if alpha > 0 else nothing()
            sparse = self._keyword_ranked(namespace, query, pool, filter) if alpha < 1 else nothing()
        else:
            # Both retrievers at once: the matrix product and SQLite each release the GIL.
            dense, sparse = await asyncio.gather(
                asyncio.to_thread(self._vector_ranked, namespace, vector, pool, filter)
                if alpha > 0
                else asyncio.to_thread(nothing),
                asyncio.to_thread(self._keyword_ranked, namespace, query, pool, filter)
                if alpha < 1
                else asyncio.to_thread(nothing),
            )

        def run() -> list[SearchHit]:
            fused = relative_score_fusion(dense, sparse, alpha=alpha, k=k)
            rows = self._load_rows(namespace, [f.key for f in fused])
            return [
                SearchHit(
                    record=self._record(rows[f.key]),
                    score=f.score,
                    vector_score=f.vector_score,
                    keyword_score=f.keyword_score,
                    vector_rank=f.vector_rank,
                    keyword_rank=f.keyword_rank,
                )
                for f in fused
                if f.key in rows
            ]

        return await self._reading(run)

    def _vector_sync(
        self, namespace: str, vector: npt.NDArray[np.float32], k: int, filter: SearchFilter | None
    ) -> list[SearchHit]:
        ranked = self._vector_ranked(namespace, vector, k, filter)
        rows = self._load_rows(namespace, [rowid for rowid, _ in ranked])
        return [
            SearchHit(record=self._record(rows[rowid]), score=score, vector_score=score, vector_rank=rank)
            for rank, (rowid, score) in enumerate(ranked, start=1)
            if rowid in rows
        ]

    def _keyword_sync(self, namespace: str, query: str, k: int, filter: SearchFilter | None) -> list[SearchHit]:
        ranked = self._keyword_ranked(namespace, query, k, filter)
        rows = self._load_rows(namespace, [rowid for rowid, _ in ranked])
        return [
            SearchHit(record=self._record(rows[rowid]), score=score, keyword_score=score, keyword_rank=rank)
            for rank, (rowid, score) in enumerate(ranked, start=1)
            if rowid in rows
        ]

    def _vector_ranked(
        self, namespace: str, vector: npt.NDArray[np.float32], k: int, filter: SearchFilter | None
    ) -> list[tuple[int, float]]:
        with self._lock:
            # Searching outside the lock lets keyword search use the connection meanwhile; a view is
            # never changed under a search (rows are appended past it, or arrays replaced).
            view = self._fresh_index(namespace)
        return view.search(np.asarray(vector, dtype=np.float32), k, filter)

    def _keyword_ranked(
        self, namespace: str, query: str, k: int, filter: SearchFilter | None
    ) -> list[tuple[int, float]]:
        table = fts_table(namespace)
        words = fts_terms(query)
        index = self._indexes.get(namespace)
        if index is not None and words:
            with self._lock:
                try:
                    words = self._postings.affordable(self._conn, table, len(index), words)
                except sqlite3.OperationalError as exc:
                    if f"no such table: {table}" in str(exc):
                        return []  # nothing was ever stored in this namespace
                    raise StoreError(f"keyword search failed for {query!r}: {exc}") from exc
        terms = match_expression(words)
        if not terms:
            return []
        clauses, params = _filter_sql(filter)
        if clauses:
            sql = (
                f"SELECT m.rowid, -bm25({table}) AS score FROM {table} JOIN memory m "
                f"ON m.rowid = {table}.rowid WHERE {table} MATCH ? AND m.namespace = ?{clauses} "
                f"ORDER BY bm25({table}) LIMIT ?"
            )
            params = [namespace, *params]
        else:
            sql = (
                f"SELECT rowid, -bm25({table}) AS score FROM {table} WHERE {table} MATCH ? "
                f"ORDER BY bm25({table}) LIMIT ?"
            )
        with self._lock:
            try:
                rows = self._conn.execute(sql, (terms, *params, k)).fetchall()
            except sqlite3.OperationalError as exc:
                if f"no such table: {table}" in str(exc):
                    return []  # nothing was ever stored in this namespace
                raise StoreError(f"keyword search failed for {query!r}: {exc}") from exc
        return [(int(rowid), float(score)) for rowid, score in rows]

    def _load_rows(self, namespace: str, rowids: list[int]) -> dict[int, tuple[object, ...]]:
        with self._lock:
            return self._rows_by_rowid(namespace, rowids)

    # -- internals -----------------------------------------------------------------------------

    def _fresh_index(self, namespace: str) -> IndexView:
        """The namespace's index brought up to date with the file (under the lock), as a view to search."""
        index = self._indexes.get(namespace)
        # Nothing committed since this index was last brought up to date (by another connection:
        # data_version; by this one: total_changes) means nothing to read: recall asks this twice a
        # query, and the three queries below were a twentieth of its CPU.
        (version,) = self._conn.execute("PRAGMA data_version").fetchone()
        token = (int(version), self._conn.total_changes)
        known = self._fresh_as_of.get(namespace)
        if index is not None and not index.stale and known is not None and known[0] is index and known[1] == token:
            index.maintain(time.monotonic())
            return index.view()
        if index is not None and not index.stale:
            (top,) = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM memory_change").fetchone()
            changes = self._conn.execute(
                "SELECT row FROM memory_change WHERE namespace = ? AND seq > ? AND seq <= ?",
                (namespace, index.change_seq, top),
            ).fetchall()
            # The floor is read after the changes: a prune between the two reads shows as a higher floor.
            if index.change_seq < change_floor(self._conn, namespace) or any(r == SCRUBBED for (r,) in changes):
                index = None  # too far behind the log, or scrubbed: load afresh
            else:
                if changes:
                    self._replay(index, namespace, sorted({int(r) for (r,) in changes}))
                index.change_seq = int(top)
        if index is None:
            old = self._indexes.pop(namespace, None)
            if old is not None:
                old.close()
            index = self._indexes[namespace] = self._load_index(namespace, self._conn)
        elif index.stale:
            # Another process saved a graph this index could start from. This one is current (searched
            # exactly past its own graph), so it goes on answering while the other loads beside it.
            self._reload_beside(namespace, index)
        rows = self._conn.execute(
            f"SELECT {INDEX_COLUMNS} FROM memory WHERE namespace = ? AND rowid > ? ORDER BY rowid",
            (namespace, index.last_rowid),
        ).fetchall()
        index.append(rows)
        index.maintain(time.monotonic())
        self._fresh_as_of[namespace] = (index, token)
        return index.view()

    def _reload_beside(self, namespace: str, current: NamespaceVectorIndex) -> None:
        """Under the lock: load the namespace's index again on a thread of its own, with its own
        connection, and swap it in for `current` when done. Loaded under the lock, every search of the
        process waited for it: 1.2 s at 20,000 rows under load (docs/benchmarks.md), minutes at millions."""
        if namespace in self._reloading or self._closed or time.monotonic() < self._reload_after.get(namespace, 0.0):
            return
        self._reloading.add(namespace)
        threading.Thread(
            target=self._reload, args=(namespace, current), name="somnia-index-reload", daemon=True
        ).start()

    def _reload(self, namespace: str, current: NamespaceVectorIndex) -> None:
        fresh: NamespaceVectorIndex | None = None
        try:
            conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=30.0)
            try:
                fresh = self._load_index(namespace, conn)
            finally:
                conn.close()
        except Exception:  # the current index goes on answering; a search after the pause tries again
            log.exception("reloading the vector index of %s failed; trying again in %.0f s", namespace, RELOAD_PAUSE_S)
        with self._lock:
            self._reloading.discard(namespace)
            if fresh is None:
                self._reload_after[namespace] = time.monotonic() + RELOAD_PAUSE_S
                return
            if self._closed or self._indexes.get(namespace) is not current:
                fresh.close()  # scrubbed, reloaded or closed meanwhile: what it read may be gone
                return
            # The next search catches it up: rows written and changes logged since it read.
            self._indexes[namespace] = fresh
            current.close()

    def _replay(
        self, index: NamespaceVectorIndex, namespace: str, rowids: list[int], conn: sqlite3.Connection | None = None
    ) -> None:
        """Changed rows: their old positions die and their current versions (if still in the namespace)
        are appended. Rows past last_rowid are left to the append of new rows."""
        index.remove(rowids)
        seen = [r for r in rowids if r <= index.last_rowid]
        for start in range(0, len(seen), 500):
            chunk = seen[start : start + 500]
            marks = ",".join("?" * len(chunk))
            index.append(
                (conn or self._conn)
                .execute(
                    f"SELECT {INDEX_COLUMNS} FROM memory WHERE namespace = ? AND rowid IN ({marks}) ORDER BY rowid",
                    (namespace, *chunk),
                )
                .fetchall()
            )

    def _load_index(self, namespace: str, conn: sqlite3.Connection) -> NamespaceVectorIndex:
        """Read the namespace's rows in batches through `conn` (the store's, under its lock, or a
        reload's own); start from its saved graph when there is one."""
        (change_seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM memory_change").fetchone()
        files = GraphFiles(self._ann_dir, namespace_token(namespace)) if self._ann.enabled else None
        index = NamespaceVectorIndex(self._ann, files)
        index.may_save = lambda seen: not self._scrubbed_since(namespace, seen)
        parts, last = [], 0
        while True:
            rows = conn.execute(
                f"SELECT {INDEX_COLUMNS} FROM memory WHERE namespace = ? AND rowid > ? ORDER BY rowid LIMIT ?",
                (namespace, last, LOAD_BATCH),
            ).fetchall()
            if not rows:
                break
            parts.append(index.decode(rows))
            last = int(str(rows[-1][0]))
        columns = NamespaceVectorIndex.concat(parts) if parts else None
        saved = None
        if files is not None and columns is not None and len(columns.rowids) >= self._ann.threshold:
            saved = files.load(self._ann, columns.vectors.shape[1])
        if saved is not None and columns is not None and self._replayable(namespace, saved.change_seq, conn):
            index.adopt(saved, columns)
            changed = conn.execute(
                "SELECT DISTINCT row FROM memory_change WHERE namespace = ? AND seq > ? AND seq <= ?",
                (namespace, saved.change_seq, change_seq),
            ).fetchall()
            self._replay(index, namespace, sorted(int(r) for (r,) in changed), conn)
        elif columns is not None:
            index.append_columns(columns)
        if files is not None:
            # A saved graph this index could not use is not a reason to reload it again: build anew.
            index.files_seen(files.saved_at())
        index.change_seq = int(change_seq)
        return index

    def _replayable(self, namespace: str, since: int, conn: sqlite3.Connection) -> bool:
        """Whether the log still holds every change of the namespace since `since`, with no scrub among them."""
        scrubbed = conn.execute(
            "SELECT 1 FROM memory_change WHERE namespace = ? AND seq > ? AND row = ? LIMIT 1",
            (namespace, since, SCRUBBED),
        ).fetchone()
        return scrubbed is None and since >= change_floor(conn, namespace)

    def _scrubbed_since(self, namespace: str, since: int) -> bool:
        """Asked by a build before it saves (from its own thread); a closed store saves nothing."""
        with self._lock:
            try:
                return not self._replayable(namespace, since, self._conn)
            except sqlite3.ProgrammingError:
                return True

    def _rows_by_rowid(self, namespace: str, rowids: list[int]) -> dict[int, tuple[object, ...]]:
        # Scoped again by namespace: a rowid freed by a delete may be reused by another namespace's insert
        # between ranking and loading.
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self._conn.execute(
            f"SELECT {COLUMNS} FROM memory WHERE namespace = ? AND rowid IN ({marks})", (namespace, *rowids)
        ).fetchall()
        return {int(row[0]): row for row in rows}

    @staticmethod
    def _record(row: tuple[object, ...]) -> MemoryRecord:
        (_, memory_id, namespace, kind, text, session_id, turn_id, role, chunk, occ, rec, emb, _dim, blob, status) = row
        assert isinstance(blob, bytes) and isinstance(occ, float) and isinstance(rec, float)
        return MemoryRecord(
            memory_id=str(memory_id),
            namespace=str(namespace),
            kind=str(kind),
            status=str(status),
            text=str(text),
            session_id=str(session_id),
            turn_id=str(turn_id),
            role=str(role),
            chunk_index=int(str(chunk)),
            occurred_at=_dt(occ),
            recorded_at=_dt(rec),
            embedder=str(emb),
            vector=np.frombuffer(blob, dtype=np.float32),
        )

    async def reachable(self) -> bool:
        # Its own connection: a namespace's first search may hold the shared one for seconds while its
        # index loads, and the store is reachable all the same.
        def run() -> bool:
            if self._closed:
                return False
            conn = sqlite3.connect(self._path, timeout=5.0)
            try:
                return bool(conn.execute("SELECT 1 FROM store_meta LIMIT 1").fetchone() is not None)
            finally:
                conn.close()

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error:
            return False

    async def aclose(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                index.close()  # a graph build stops at its next batch
            self._conn.close()
            self._closed = True
        with self._meta_lock:
            if self._meta_conn is not None:
                self._meta_conn.close()
                self._meta_conn = None


def _filter_sql(filter: SearchFilter | None) -> tuple[str, list[object]]:
    if filter is None:
        return "", []
    clauses: list[str] = []
    params: list[object] = []
    for column, values in (
        ("session_id", filter.session_ids),
        ("role", filter.roles),
        ("kind", filter.kinds),
        ("status", filter.statuses),
    ):
        if values:
            clauses.append(f"m.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if filter.occurred_after is not None:
        clauses.append("m.occurred_at >= ?")
        params.append(filter.occurred_after.timestamp())
    if filter.occurred_before is not None:
        clauses.append("m.occurred_at <= ?")
        params.append(filter.occurred_before.timestamp())
    if filter.recorded_before is not None:
        clauses.append("m.recorded_at <= ?")
        params.append(filter.recorded_before.timestamp())
    return "".join(f" AND {c}" for c in clauses), params
