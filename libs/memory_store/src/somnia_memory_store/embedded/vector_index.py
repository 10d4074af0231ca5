"""The vectors of one namespace in growable numpy buffers, searched exactly while the namespace is small
and through an HNSW graph (ann.py) once it holds `AnnConfig.threshold` rows.

Exact search over unit vectors is one matrix-vector product: 20,000 x 384 float32 is well under a
millisecond, 1,000,000 about 40 ms on one core. Past the threshold a background thread builds the
graph (searches stay exact meanwhile); rows appended later are added to it as they arrive, and rows
the graph does not cover yet are searched exactly and merged. Every candidate is scored exactly.

Rows are never moved while the buffers live: a deleted or replaced row is marked dead at its position
(a replacement is appended anew), and when a quarter of the positions are dead the buffers are
compacted and the graph rebuilt. Filters are evaluated on integer codes, not strings.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from somnia_memory_store.embedded.ann import AnnConfig, BuildLock, GraphFiles, HnswGraph, SavedGraph
from somnia_memory_store.models import SearchFilter

INITIAL_CAPACITY = 1024
# A filter that keeps fewer rows than this share (or than EXACT_ROWS) is searched exactly over those rows:
# HNSW walks mostly excluded nodes then, and the exact product over few rows is cheaper anyway.
EXACT_SHARE = 0.05
EXACT_ROWS = 20_000
COMPACT_SHARE = 0.25
GRAPH_BATCH = 2_000  # positions added per graph-lock hold (a published graph's searches wait for it)
INLINE_ROWS = 256  # a write of up to this many rows is added to a published graph right away

# (rowid, session_id, role, kind, occurred_at, vector blob, status, recorded_at), as the store selects them.
Row = tuple[object, ...]
Vector = npt.NDArray[np.float32]
Ranked = list[tuple[int, float]]


class Vocabulary:
    """Strings of one column as small integer codes, so a filter is an integer comparison."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def encode(self, values: Sequence[object]) -> npt.NDArray[np.int32]:
        codes = self._codes
        return np.fromiter((codes.setdefault(str(v), len(codes)) for v in values), dtype=np.int32, count=len(values))

    def known(self, values: Sequence[str]) -> list[int]:
        return [self._codes[v] for v in values if v in self._codes]


@dataclass(frozen=True)
class Columns:
    """Rows decoded into arrays."""

    rowids: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float32]
    occurred: npt.NDArray[np.float64]
    recorded: npt.NDArray[np.float64]
    sessions: npt.NDArray[np.int32]
    roles: npt.NDArray[np.int32]
    kinds: npt.NDArray[np.int32]
    statuses: npt.NDArray[np.int32]

    def take(self, which: npt.NDArray[np.int64] | npt.NDArray[np.bool_]) -> Columns:
        return Columns(*(getattr(self, name)[which] for name in _FIELDS))


def allocate(capacity: int, dimension: int) -> Columns:
    return Columns(
        rowids=np.zeros(capacity, dtype=np.int64),
        vectors=np.zeros((capacity, dimension), dtype=np.float32),
        occurred=np.zeros(capacity, dtype=np.float64),
        recorded=np.zeros(capacity, dtype=np.float64),
        sessions=np.zeros(capacity, dtype=np.int32),
        roles=np.zeros(capacity, dtype=np.int32),
        kinds=np.zeros(capacity, dtype=np.int32),
        statuses=np.zeros(capacity, dtype=np.int32),
    )


_FIELDS = ("rowids", "vectors", "occurred", "recorded", "sessions", "roles", "kinds", "statuses")


@dataclass(frozen=True)
class IndexView:
    """The buffers as they were at one moment: searching it needs no lock, since rows are only ever
    appended past `n` or marked dead (their vectors zeroed), and growth or compaction replaces the arrays
    instead of moving rows."""

    n: int
    columns: Columns
    alive: npt.NDArray[np.bool_]
    dead: int
    vocabularies: tuple[Vocabulary, Vocabulary, Vocabulary, Vocabulary]
    graph: HnswGraph | None
    graph_n: int

    def search(self, query: Vector, k: int, filter: SearchFilter | None = None) -> Ranked:
        """The k nearest live rows passing the filter, as (rowid, cosine), best first."""
        n, vectors = self.n, self.columns.vectors
        if n == 0 or k <= 0:
            return []
        if query.shape != (vectors.shape[1],):
            raise ValueError(f"query vector has shape {query.shape}, the index holds {vectors.shape[1]}-dim vectors")
        mask = self._mask(filter)
        if self.graph is None or self.graph_n == 0:
            return self._exact(query, k, mask)
        kept = n - self.dead if mask is None else int(np.count_nonzero(mask))
        if kept <= max(EXACT_ROWS, k) or kept < EXACT_SHARE * n:
            return self._exact_subset(query, k, mask)
        allowed = None if mask is None and self.dead == 0 else (self.alive[:n] if mask is None else mask)
        found = self.graph.search(query[None, :], k, None if allowed is None else allowed[: self.graph_n])[0]
        found = found[(found >= 0) & (found < self.graph_n)]  # the graph may have grown past this view
        tail = np.arange(self.graph_n, n, dtype=np.int64)
        if allowed is not None:
            tail = tail[allowed[self.graph_n : n]]
        return self._best(query, np.concatenate([found, tail]), k)

    def search_many(self, queries: npt.NDArray[np.float32], k: int) -> list[list[tuple[int, float]]]:
        """The k nearest live rows for each query row (unfiltered)."""
        n, vectors = self.n, self.columns.vectors
        if n == 0 or k <= 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        if queries.shape[1] != vectors.shape[1]:
            raise ValueError(f"query vectors have {queries.shape[1]} dims, the index holds {vectors.shape[1]}")
        if self.graph is not None and self.graph_n > 0:
            allowed = self.alive[: self.graph_n] if self.dead else None
            found = self.graph.search(queries, k, allowed)
            tail = np.flatnonzero(self.alive[self.graph_n : n]) + self.graph_n
            return [
                self._best(q, np.concatenate([row[(row >= 0) & (row < self.graph_n)], tail]), k)
                for q, row in zip(queries, found, strict=True)
            ]
        scores = vectors[:n] @ queries.T  # (n, queries)
        if self.dead:
            scores[~self.alive[:n]] = -np.inf
        return [self._top(column, k) for column in scores.T]

    def _exact(self, query: Vector, k: int, mask: npt.NDArray[np.bool_] | None) -> Ranked:
        scores = self.columns.vectors[: self.n] @ query
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        elif self.dead:
            scores = np.where(self.alive[: self.n], scores, -np.inf)
        return self._top(scores, k)

    def _exact_subset(
        self, query: npt.NDArray[np.float32], k: int, mask: npt.NDArray[np.bool_] | None
    ) -> list[tuple[int, float]]:
        if mask is None or np.count_nonzero(mask) > self.n // 2:
            return self._exact(query, k, mask)
        return self._best(query, np.flatnonzero(mask), k)

    def _best(self, query: Vector, positions: npt.NDArray[np.int64], k: int) -> Ranked:
        """Score the candidate positions exactly and keep the k best."""
        positions = np.unique(positions)
        positions = positions[self.alive[positions]]  # a row removed after this view was taken
        if len(positions) == 0:
            return []
        scores = self.columns.vectors[positions] @ query
        best: list[tuple[int, float]] = []
        seen: set[int] = set()
        for i in np.argsort(-scores, kind="stable"):
            rowid = int(self.columns.rowids[positions[i]])
            if rowid not in seen:  # a row replaced while a search ran may show at two positions
                seen.add(rowid)
                best.append((rowid, float(scores[i])))
                if len(best) == k:
                    break
        return best

    def _top(self, scores: npt.NDArray[np.floating], k: int) -> list[tuple[int, float]]:
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        rowids = self.columns.rowids
        return [(int(rowids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]

    def _mask(self, filter: SearchFilter | None) -> npt.NDArray[np.bool_] | None:
        if filter is None:
            return None
        n, c = self.n, self.columns
        mask = self.alive[:n].copy()
        sessions, roles, kinds, statuses = self.vocabularies
        for values, vocabulary, codes in (
            (filter.session_ids, sessions, c.sessions),
            (filter.roles, roles, c.roles),
            (filter.kinds, kinds, c.kinds),
            (filter.statuses, statuses, c.statuses),
        ):
            if values:
                mask &= np.isin(codes[:n], vocabulary.known(values))
        if filter.occurred_after is not None:
            mask &= c.occurred[:n] >= filter.occurred_after.timestamp()
        if filter.occurred_before is not None:
            mask &= c.occurred[:n] <= filter.occurred_before.timestamp()
        if filter.recorded_before is not None:
            mask &= c.recorded[:n] <= filter.recorded_before.timestamp()
        return mask


@dataclass(frozen=True)
class VectorIndexState:
    """How a namespace is searched right now: exactly (graph_rows 0), or through a graph covering
    graph_rows positions (the rest exactly); `building` while a graph is built in the background."""

    rows: int
    dead: int
    graph_rows: int
    building: bool


class NamespaceVectorIndex:
    """Every write happens under the store's lock; searches run on a view taken under it."""

    def __init__(self, config: AnnConfig | None = None, files: GraphFiles | None = None) -> None:
        self.config = config or AnnConfig(threshold=0)
        self.files = files
        self.last_rowid = 0
        self.change_seq = 0
        # Set when another process saved a graph this one could load: the store then reloads the index.
        self.stale = False
        self._vocabularies = (Vocabulary(), Vocabulary(), Vocabulary(), Vocabulary())
        self._columns: Columns | None = None
        self._alive = np.zeros(INITIAL_CAPACITY, dtype=bool)
        self._size = 0
        self._dead = 0
        self._graph: HnswGraph | None = None
        self._published = False  # views search the graph only once it covers what it was built from
        self._worker: threading.Thread | None = None  # building, or catching up with a bulk write
        self._epoch = 0  # bumped by compaction and close(): a graph for older positions is dropped
        self._retry_after = 0.0
        self._files_seen: float | None = None  # the saved graph this index adopted or wrote
        # Writers (under the store's lock) and the worker thread both take it, briefly.
        self._mutex = threading.Lock()
        # Asked before saving a graph, with the last change it has seen: False once the namespace was
        # scrubbed since, so that no erased vector is written to disk again.
        self.may_save: Callable[[int], bool] = lambda change_seq: True

    def close(self) -> None:
        """Stop the worker at its next batch; the store drops this index."""
        with self._mutex:
            self._epoch += 1

    def __len__(self) -> int:
        return self._size - self._dead

    def files_seen(self, saved_at: float | None) -> None:
        """The saved graph (by its time) this index already took into account."""
        self._files_seen = saved_at

    def state(self) -> VectorIndexState:
        graph_rows = self._graph.size if self._graph is not None and self._published else 0
        building = self._graph is not None and not self._published
        return VectorIndexState(rows=len(self), dead=self._dead, graph_rows=graph_rows, building=building)

    @staticmethod
    def concat(parts: Sequence[Columns]) -> Columns:
        return Columns(*(np.concatenate([getattr(p, name) for p in parts]) for name in _FIELDS))

    def decode(self, rows: Sequence[Row]) -> Columns:
        sessions, roles, kinds, statuses = self._vocabularies
        vectors = np.frombuffer(b"".join(row[5] for row in rows), dtype=np.float32)  # type: ignore[misc]
        return Columns(
            rowids=np.fromiter((int(str(r[0])) for r in rows), dtype=np.int64, count=len(rows)),
            vectors=vectors.reshape(len(rows), -1),
            occurred=np.fromiter((float(str(r[4])) for r in rows), dtype=np.float64, count=len(rows)),
            recorded=np.fromiter((float(str(r[7])) for r in rows), dtype=np.float64, count=len(rows)),
            sessions=sessions.encode([r[1] for r in rows]),
            roles=roles.encode([r[2] for r in rows]),
            kinds=kinds.encode([r[3] for r in rows]),
            statuses=statuses.encode([r[6] for r in rows]),
        )

    def append(self, rows: Sequence[Row]) -> None:
        """Add rows (new ones in rowid order, or the current versions of replaced rows)."""
        if rows:
            self.append_columns(self.decode(rows))

    def remove(self, rowids: Sequence[int]) -> int:
        """Mark the live positions of these rows dead and zero their vectors (a graph built later holds
        nothing of them); returns how many there were."""
        if not rowids or self._columns is None:
            return 0
        with self._mutex:
            hit = np.flatnonzero(np.isin(self._columns.rowids[: self._size], np.asarray(rowids, dtype=np.int64)))
            hit = hit[self._alive[hit]]
            self._alive[hit] = False
            self._columns.vectors[hit] = 0.0
            self._dead += len(hit)
        return len(hit)

    def append_columns(self, columns: Columns) -> None:
        """Add decoded rows (see decode) in rowid order."""
        if len(columns.rowids):
            self._append_columns(columns)
            self.last_rowid = max(self.last_rowid, int(columns.rowids.max()))

    def adopt(self, saved: SavedGraph, columns: Columns) -> None:
        """Start from a saved graph: lay the rows (decoded, in rowid order) out at the positions it knows
        them by (a row deleted since is a dead position), then append the rows it has not seen."""
        with self._mutex:
            self._adopt(saved, columns)
        self.append_columns(columns.take(~np.isin(columns.rowids, saved.rowids)))
        if len(columns.rowids):
            self.last_rowid = max(self.last_rowid, int(columns.rowids.max()))

    def _adopt(self, saved: SavedGraph, columns: Columns) -> None:
        m = len(saved.rowids)
        self._reserve(m, saved.graph.dimension)
        assert self._columns is not None
        present = np.zeros(m, dtype=bool)
        if len(columns.rowids):
            at = np.minimum(np.searchsorted(columns.rowids, saved.rowids), len(columns.rowids) - 1)
            present = columns.rowids[at] == saved.rowids
            # Nothing deleted or reordered since the save: one slice copy per column.
            unchanged = bool(present.all()) and len(columns.rowids) >= m and bool((at == np.arange(m)).all())
            which = slice(0, m) if unchanged else np.flatnonzero(present)
            source = slice(0, m) if unchanged else at[which]
            for name in _FIELDS:
                getattr(self._columns, name)[which] = getattr(columns, name)[source]
        self._columns.rowids[:m] = saved.rowids
        self._alive[:m] = present
        self._dead = int(m - np.count_nonzero(present))
        self._size = m
        self._graph, self._published = saved.graph, True
        self.change_seq = saved.change_seq

    def _append_columns(self, columns: Columns) -> None:
        with self._mutex:
            self._reserve(self._size + len(columns.rowids), columns.vectors.shape[1])
            assert self._columns is not None
            end = self._size + len(columns.rowids)
            for name in _FIELDS:
                getattr(self._columns, name)[self._size : end] = getattr(columns, name)
            self._alive[self._size : end] = True
            self._size = end
            graph = self._graph
            if graph is None or not self._published or self._worker is not None:
                return  # no graph yet, or the worker catches up
            if self._size - graph.size <= INLINE_ROWS:
                graph.extend(self._columns.vectors, self._size)
            else:  # a bulk write: searched exactly past the graph until the worker has added it
                self._start_worker(graph, None, save=False)

    def view(self) -> IndexView:
        columns = self._columns or allocate(0, 1)
        graph = self._graph if self._published else None
        return IndexView(
            n=self._size,
            columns=columns,
            alive=self._alive,
            dead=self._dead,
            vocabularies=self._vocabularies,
            graph=graph,
            graph_n=0 if graph is None else min(graph.size, self._size),
        )

    def maintain(self, now: float) -> None:
        """Compact when a quarter of the positions are dead; start building the graph once the namespace
        is big enough, unless another process is building it or has saved one this index could load
        (then the index marks itself stale and the store loads it afresh)."""
        if self._size and self._dead > max(1_000, COMPACT_SHARE * self._size):
            self._compact()
        if (
            not self.config.enabled
            or self._graph is not None
            or len(self) < self.config.threshold
            or now < self._retry_after
        ):
            return
        lock = None if self.files is None else self.files.try_lock()
        if self.files is not None:
            if lock is None:
                self._retry_after = now + 10.0  # another process is building: look again later
                return
            saved_at = self.files.saved_at()
            if saved_at is not None and saved_at != self._files_seen:
                lock.release()
                self.stale = True
                return
        try:
            assert self._columns is not None
            graph = HnswGraph.create(self._columns.vectors.shape[1], self.config)
        except BaseException:
            if lock is not None:
                lock.release()
            self._retry_after = now + 60.0
            raise
        with self._mutex:
            self._graph, self._published = graph, False
            self._start_worker(graph, lock, save=self.files is not None)

    def _start_worker(self, graph: HnswGraph, lock: BuildLock | None, *, save: bool) -> None:
        """Under the mutex: a thread that extends the graph to every position, then saves and publishes it."""
        self._worker = threading.Thread(
            target=self._work, args=(graph, self._epoch, lock, save), name="somnia-hnsw", daemon=True
        )
        self._worker.start()

    def _work(self, graph: HnswGraph, epoch: int, lock: BuildLock | None, save: bool) -> None:
        """Add positions in batches (searches meanwhile are exact past what the published graph covers);
        once it covers every position, save it (a new build) and publish it."""
        me = threading.current_thread()
        with contextlib.suppress(OSError, AttributeError):  # Linux: this thread alone yields to the rest
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            while True:
                snapshot = None
                with self._mutex:
                    if epoch != self._epoch:
                        return
                    columns, size = self._columns, self._size
                    assert columns is not None
                    if graph.size >= size:
                        if not save:
                            self._published, self._worker = True, None
                            return
                        # Read before the live positions: a removal after it is replayed on load.
                        change_seq = self.change_seq
                        snapshot = np.where(self._alive[: graph.size], columns.rowids[: graph.size], -1)
                if snapshot is None:
                    graph.extend(columns.vectors, size, batch=GRAPH_BATCH)
                    continue
                # Only this thread adds to an unpublished graph, so it stays the size of the snapshot.
                if self.files is not None and self.may_save(change_seq):
                    self.files.save(graph, snapshot, change_seq)
                    self._files_seen = self.files.saved_at()
                save = False  # then catch up with the rows written while saving, and publish
        finally:
            if lock is not None:
                lock.release()
            with self._mutex:
                if self._worker is me:  # it failed: a later write or maintain() may start another
                    self._worker = None
                    if not self._published:
                        self._graph = None
                        self._retry_after = 0.0

    def _compact(self) -> None:
        with self._mutex:
            assert self._columns is not None
            keep = np.flatnonzero(self._alive[: self._size])
            self._epoch += 1
            # Rebuilt for the new positions by maintain(); a worker of the old epoch stops.
            self._graph, self._published, self._worker = None, False, None
            old, self._columns, self._size, self._dead = self._columns, None, 0, 0
            if len(keep):
                # A quarter of headroom, so that the next write does not copy everything again.
                self._reserve(len(keep) + len(keep) // 4, old.vectors.shape[1])
                assert self._columns is not None
                for name in _FIELDS:
                    getattr(self._columns, name)[: len(keep)] = getattr(old, name)[keep]
                self._alive[: len(keep)] = True
                self._size = len(keep)

    def _reserve(self, needed: int, dimension: int) -> None:
        if self._columns is None:
            capacity = max(INITIAL_CAPACITY, needed)
            self._columns = allocate(capacity, dimension)
            self._alive = np.zeros(capacity, dtype=bool)
            return
        capacity = self._columns.rowids.shape[0]
        if needed <= capacity:
            return
        while capacity < needed:
            # Doubling while small; past 64k rows a quarter more, so a million rows waste no gigabyte.
            capacity = capacity * 2 if capacity < 65_536 else capacity + capacity // 4
        grown = {}
        for name in _FIELDS:
            old = getattr(self._columns, name)
            new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: self._size] = old[: self._size]
            grown[name] = new
        self._columns = Columns(**grown)
        alive = np.zeros(capacity, dtype=bool)
        alive[: self._size] = self._alive[: self._size]
        self._alive = alive
