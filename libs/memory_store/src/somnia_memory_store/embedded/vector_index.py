"""An exact (brute-force) cosine index for one namespace, kept in growable numpy buffers.

Exact search over unit vectors is one matrix-vector product: 100,000 x 384 float32 takes a few
milliseconds on one core, and it is never wrong, so no approximate index is needed at this size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from somnia_memory_store.models import SearchFilter

INITIAL_CAPACITY = 1024


class NamespaceVectorIndex:
    def __init__(self) -> None:
        self.last_rowid = 0
        self._size = 0
        self._vectors: npt.NDArray[np.float32] | None = None
        self._rowids = np.zeros(INITIAL_CAPACITY, dtype=np.int64)
        self._occurred = np.zeros(INITIAL_CAPACITY, dtype=np.float64)
        self._recorded = np.zeros(INITIAL_CAPACITY, dtype=np.float64)
        self._sessions = np.empty(INITIAL_CAPACITY, dtype=object)
        self._roles = np.empty(INITIAL_CAPACITY, dtype=object)
        self._kinds = np.empty(INITIAL_CAPACITY, dtype=object)
        self._statuses = np.empty(INITIAL_CAPACITY, dtype=object)

    def __len__(self) -> int:
        return self._size

    def append(self, rows: Sequence[tuple[object, ...]]) -> None:
        """Add rows of (rowid, session_id, role, kind, occurred_at, vector blob, status, recorded_at), in
        rowid order."""
        first = np.frombuffer(rows[0][5], dtype=np.float32)  # type: ignore[call-overload]
        if self._vectors is None:
            self._vectors = np.zeros((INITIAL_CAPACITY, first.shape[0]), dtype=np.float32)
        self._reserve(self._size + len(rows))
        assert self._vectors is not None
        for offset, (rowid, session_id, role, kind, occurred_at, blob, status, recorded_at) in enumerate(rows):
            i = self._size + offset
            self._vectors[i] = np.frombuffer(blob, dtype=np.float32)  # type: ignore[call-overload]
            self._rowids[i] = int(str(rowid))
            self._occurred[i] = float(str(occurred_at))
            self._recorded[i] = float(str(recorded_at))
            self._sessions[i] = session_id
            self._roles[i] = role
            self._kinds[i] = kind
            self._statuses[i] = status
        self._size += len(rows)
        self.last_rowid = int(self._rowids[self._size - 1])

    def _reserve(self, needed: int) -> None:
        capacity = self._rowids.shape[0]
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        assert self._vectors is not None
        vectors = np.zeros((capacity, self._vectors.shape[1]), dtype=np.float32)
        vectors[: self._size] = self._vectors[: self._size]
        self._vectors = vectors
        self._rowids = _grow(self._rowids, capacity)  # type: ignore[assignment]
        self._occurred = _grow(self._occurred, capacity)  # type: ignore[assignment]
        self._recorded = _grow(self._recorded, capacity)  # type: ignore[assignment]
        self._sessions = _grow(self._sessions, capacity)
        self._roles = _grow(self._roles, capacity)
        self._kinds = _grow(self._kinds, capacity)
        self._statuses = _grow(self._statuses, capacity)

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        filter: SearchFilter | None = None,
        size: int | None = None,
    ) -> list[tuple[int, float]]:
        """The k nearest among the first `size` rows (all by default) as (rowid, cosine), best first."""
        n = self._size if size is None else min(size, self._size)
        vectors, rowids = self._vectors, self._rowids
        if n == 0 or vectors is None or k <= 0:
            return []
        if query.shape != (vectors.shape[1],):
            raise ValueError(f"query vector has shape {query.shape}, the index holds {vectors.shape[1]}-dim vectors")
        scores = vectors[:n] @ query
        mask = self._mask(filter, n)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        k = min(k, n)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(rowids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]

    def search_many(
        self, queries: npt.NDArray[np.float32], k: int, size: int | None = None
    ) -> list[list[tuple[int, float]]]:
        """The k nearest rows for each query row, in one matrix product (unfiltered)."""
        n = self._size if size is None else min(size, self._size)
        vectors, rowids = self._vectors, self._rowids
        if n == 0 or vectors is None or k <= 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        if queries.shape[1] != vectors.shape[1]:
            raise ValueError(f"query vectors have {queries.shape[1]} dims, the index holds {vectors.shape[1]}")
        scores = vectors[:n] @ queries.T  # (n, queries)
        k = min(k, n)
        found = []
        for column in scores.T:
            top = np.argpartition(-column, k - 1)[:k]
            top = top[np.argsort(-column[top], kind="stable")]
            found.append([(int(rowids[i]), float(column[i])) for i in top])
        return found

    def _mask(self, filter: SearchFilter | None, n: int) -> npt.NDArray[np.bool_] | None:
        if filter is None:
            return None
        mask = np.ones(n, dtype=bool)
        for values, column in (
            (filter.session_ids, self._sessions),
            (filter.roles, self._roles),
            (filter.kinds, self._kinds),
            (filter.statuses, self._statuses),
        ):
            if values:
                mask &= np.isin(column[:n], list(values))
        if filter.occurred_after is not None:
            mask &= self._occurred[:n] >= filter.occurred_after.timestamp()
        if filter.occurred_before is not None:
            mask &= self._occurred[:n] <= filter.occurred_before.timestamp()
        if filter.recorded_before is not None:
            mask &= self._recorded[:n] <= filter.recorded_before.timestamp()
        return mask


def _grow(array: npt.NDArray[np.generic], capacity: int) -> npt.NDArray[np.generic]:
    grown = np.empty(capacity, dtype=array.dtype) if array.dtype == object else np.zeros(capacity, array.dtype)
    grown[: array.shape[0]] = array
    return grown
