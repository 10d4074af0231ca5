"""An approximate nearest-neighbour graph (HNSW, from faiss) over one namespace's vector positions,
and its files beside the store so that a restart, or a second process, loads it instead of building.

The graph's ids are the positions in the namespace's vector buffers, added in order, so the graph
covers positions [0, size). It stores vectors as float16 (half the memory of the buffers it indexes);
every candidate it returns is scored again exactly from the float32 buffers. HNSW cannot delete a
node: rows deleted or replaced stay in the graph and are excluded at search time by a bitmap of the
live positions, until the buffers are compacted and the graph rebuilt.

faiss is imported on first use: a process whose namespaces all stay small never loads it.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = 2  # 2: files named by save id


@dataclass(frozen=True)
class AnnConfig:
    """When and how a namespace gets an approximate index. threshold 0 keeps every search exact."""

    threshold: int = 20_000
    m: int = 32
    ef_construction: int = 128
    ef_search: int = 512

    @property
    def enabled(self) -> bool:
        return self.threshold > 0


def _faiss() -> Any:
    """faiss, with OpenMP on one thread for the calling thread. Call it in every thread before faiss
    works: omp_set_num_threads sets only the caller's own setting, and every other thread (a build's,
    asyncio's workers) started with one OpenMP thread per core, so the background build and the adds
    inline with writes still ran on two (measured: the load bench's capture tail at the 20,000-row
    crossing). OMP_NUM_THREADS, read when the OpenMP runtime loads, sets the default for all."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import faiss

    # One thread: a search is one query, and a build runs in the background at low priority. Two
    # OpenMP threads on a busy two-core machine spin on each other's node locks and starved the
    # service's own threads for seconds (measured: Recall p99 went from 0.3 to 15 s while a 20,000-row
    # namespace was being indexed under a capture load).
    faiss.omp_set_num_threads(1)
    return faiss


class HnswGraph:
    """faiss's IndexHNWSQ (float16 storage, inner product), guarded by one lock: faiss allows
    concurrent searches but not a search during an add, and a search takes well under a millisecond."""

    def __init__(self, index: Any, config: AnnConfig) -> None:
        self._index = index
        self._config = config
        self._lock = threading.Lock()
        index.hnsw.efSearch = config.ef_search

    @classmethod
    def create(cls, dimension: int, config: AnnConfig) -> HnswGraph:
        faiss = _faiss()
        index = faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_fp16, config.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.ef_construction
        index.train(np.zeros((1, dimension), dtype=np.float32))  # float16 needs no statistics
        return cls(index, config)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def extend(self, vectors: npt.NDArray[np.float32], size: int, batch: int | None = None) -> int:
        """Add vectors[self.size:size] (at most `batch` of them), so that the graph's positions stay
        those of the buffers however many threads extend it; returns the graph's new size."""
        _faiss()  # this thread's OpenMP setting too
        with self._lock:
            start = int(self._index.ntotal)
            end = size if batch is None else min(size, start + batch)
            if end > start:
                self._index.add(np.ascontiguousarray(vectors[start:end], dtype=np.float32))
            return int(self._index.ntotal)

    def search(
        self, queries: npt.NDArray[np.float32], k: int, allowed: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.int64]:
        """Up to k candidate positions per query (-1 pads); with `allowed`, only positions below its
        length whose entry is True."""
        faiss = _faiss()
        queries = np.ascontiguousarray(queries.reshape(-1, self.dimension), dtype=np.float32)
        k = max(1, min(k, self.size))
        params = None
        if allowed is not None:
            bits = np.packbits(allowed, bitorder="little")
            # The bitmap's length is in bytes; the padding bits past len(allowed) are 0.
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self._config.ef_search, k))
        elif k > self._config.ef_search:
            params = faiss.SearchParametersHNSW(efSearch=k)
        with self._lock:
            _, positions = self._index.search(queries, k, params=params)
        return np.asarray(positions, dtype=np.int64)

    def save(self, path: Path) -> None:
        with self._lock:
            _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, config: AnnConfig) -> HnswGraph:
        return cls(_faiss().read_index(str(path)), config)


def _save_array(path: Path, array: npt.NDArray[np.int64]) -> None:
    with path.open("wb") as f:  # np.save would add ".npy" to a name that does not end with it
        np.save(f, array)


class BuildLock:
    """An exclusive flock on a namespace's lock file; closing the descriptor releases it."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class SavedGraph:
    """What a saved graph covers: the rowid at each of its positions, and the last change it saw."""

    graph: HnswGraph
    rowids: npt.NDArray[np.int64]
    change_seq: int


class GraphFiles:
    """One namespace's saved graph: `<token>.<id>.faiss`, `<token>.<id>.rowids.npy` and `<token>.json`
    naming the id, written last so that a reader never sees half a save. `<token>.lock` is held while
    one process builds, so that the others wait for its files instead of building the same graph."""

    def __init__(self, directory: Path, token: str) -> None:
        self._dir = directory
        self._token = token

    def _path(self, suffix: str) -> Path:
        return self._dir / f"{self._token}{suffix}"

    def saved_at(self) -> float | None:
        """When the saved graph was written (its json's mtime), None when there is none."""
        try:
            return self._path(".json").stat().st_mtime
        except FileNotFoundError:
            return None

    def try_lock(self) -> BuildLock | None:
        """Take the build lock without waiting; None while another process holds it."""
        self._dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return BuildLock(fd)

    def lock(self) -> BuildLock:
        """Wait for the build lock (a build in progress finishes and saves first)."""
        self._dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return BuildLock(fd)

    def save(self, graph: HnswGraph, rowids: npt.NDArray[np.int64], change_seq: int) -> None:
        """`rowids` names each graph position's row, -1 for a dead one. Each save writes files under a new
        id and then the json that names them, so a reader never pairs one save's graph with another's
        rowids; the previous save's files are deleted after."""
        self._dir.mkdir(parents=True, exist_ok=True)
        save_id = secrets.token_hex(8)
        graph.save(self._path(f".{save_id}.faiss"))
        _save_array(self._path(f".{save_id}.rowids.npy"), rowids[: graph.size])
        meta = {
            "format": FORMAT,
            "id": save_id,
            "size": graph.size,
            "dimension": graph.dimension,
            "change_seq": change_seq,
        }
        tmp = self._path(".json.tmp")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, self._path(".json"))
        self._remove_files(keep=save_id)  # the previous save's, and any a crash left half written

    def _meta(self) -> dict[str, object] | None:
        try:
            meta = json.loads(self._path(".json").read_text())
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    def load(self, config: AnnConfig, dimension: int) -> SavedGraph | None:
        """The saved graph, or None when there is none or it does not fit (another format, dimension)."""
        meta = self._meta()
        if meta is None or meta.get("format") != FORMAT or meta.get("dimension") != dimension:
            return None
        save_id = str(meta.get("id", ""))
        try:
            rowids = np.load(self._path(f".{save_id}.rowids.npy"))
            graph = HnswGraph.load(self._path(f".{save_id}.faiss"), config)
        except (OSError, ValueError, RuntimeError):
            return None  # replaced by a newer save meanwhile, or damaged
        if graph.size != meta.get("size") or len(rowids) != graph.size or graph.dimension != dimension:
            return None
        return SavedGraph(graph=graph, rowids=rowids.astype(np.int64), change_seq=int(str(meta["change_seq"])))

    def remove(self) -> None:
        """Delete the saved graph (after an erasure it holds vectors of deleted memories), every save's files."""
        self._path(".json").unlink(missing_ok=True)
        self._path(".json.tmp").unlink(missing_ok=True)
        self._remove_files(keep=None)

    def _remove_files(self, keep: str | None) -> None:
        for path in self._dir.glob(f"{self._token}.*"):
            if path.suffix in (".faiss", ".npy") and (
                keep is None or not path.name.startswith(f"{self._token}.{keep}.")
            ):
                path.unlink(missing_ok=True)
