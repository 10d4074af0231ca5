"""The memory store port. Every method is scoped by namespace: nothing crosses namespaces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from somnia_memory_store.models import MemoryRecord, ReindexProgress, SearchFilter, SearchHit


class StoreError(RuntimeError):
    """The store could not do what was asked; the message says why."""


class EmbedderMismatchError(StoreError):
    """Vectors from a different embedder than the one the store was built with."""


class ReindexError(StoreError):
    """A reindex cannot go on as asked; the message says what to do."""


class UpsertError(StoreError):
    """Some records of a batch were not written; `failed` maps their memory ids to the reasons."""

    def __init__(self, failed: dict[str, str]) -> None:
        sample = "; ".join(f"{k}: {v}" for k, v in list(failed.items())[:3])
        super().__init__(f"{len(failed)} record(s) were not written ({sample})")
        self.failed = failed


class MemoryStore(Protocol):
    async def upsert(self, records: Sequence[MemoryRecord], *, rewrite: bool = False) -> None:
        """Insert or replace records by memory_id; durable when this returns. `rewrite=True` is for a
        retry after a failed attempt: each record is indexed again from scratch, so an object the
        failure left stored but only partly indexed is repaired instead of skipped as unchanged. On
        Weaviate that is a delete, then the insert: pass it only when the records can be written again
        on failure (a redelivered message), since a rewrite that fails in between leaves them deleted."""
        ...

    async def get(self, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]: ...

    async def count(self, namespace: str) -> int: ...

    async def scan(
        self, namespace: str, filter: SearchFilter | None = None, *, after: str = "", limit: int = 500
    ) -> list[MemoryRecord]:
        """Up to `limit` records after memory id `after`, in id order, vectors included: a namespace read
        page by page (pass the last id back as `after`) so offline jobs never hold it all."""
        ...

    async def delete(self, namespace: str, memory_ids: Sequence[str]) -> int:
        """Delete by id; returns how many existed."""
        ...

    async def scrub(self, namespace: str) -> None:
        """Make what was deleted from `namespace` unreadable on disk, as far as the store allows (see
        docs/security.md): erasure calls it after deleting. Idempotent; may take time on a large namespace."""
        ...

    async def move(self, namespace: str, to_namespace: str, memory_ids: Sequence[str]) -> int:
        """Move records (vectors and all) to another namespace, e.g. a namespace's cold archive; ids not
        in `namespace` are skipped. Returns how many moved. A crash part-way leaves each record in one
        place or (on stores without transactions) in both, never in neither."""
        ...

    async def vector_search(
        self, namespace: str, vector: npt.NDArray[np.float32], k: int, filter: SearchFilter | None = None
    ) -> list[SearchHit]: ...

    async def nearest_ids(
        self, namespace: str, vectors: npt.NDArray[np.float32], k: int
    ) -> list[list[tuple[str, float]]]:
        """For each row of `vectors`, the ids of its k nearest memories with their cosine, best first: one
        pass for many queries, loading no records (for linking, not for answering)."""
        ...

    async def keyword_search(
        self, namespace: str, query: str, k: int, filter: SearchFilter | None = None
    ) -> list[SearchHit]: ...

    async def hybrid_search(
        self,
        namespace: str,
        query: str,
        vector: npt.NDArray[np.float32],
        k: int,
        alpha: float = 0.5,
        filter: SearchFilter | None = None,
    ) -> list[SearchHit]:
        """Relative-score fusion: alpha * vector + (1 - alpha) * keyword, each min-max normalised."""
        ...

    async def check_embedder(self, name: str, dimension: int) -> None:
        """Raise EmbedderMismatchError when the store holds vectors of another embedder."""
        ...

    async def reachable(self) -> bool:
        """Whether the store answers now (readiness probes ask once a second; never raises)."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ReindexableStore(Protocol):
    """A store that can move to another embedder in place: the new vectors are written beside the old
    ones while the old ones keep answering, then swapped (somnia_stores.reindex). The embedded store
    keeps them in a table and swaps in one transaction; Weaviate fills a new collection and switches to
    it in two steps (reindex_swap says how). `reindex_pending` pages by an opaque ascending key; after=0
    starts a fresh pass."""

    async def embedder_identity(self) -> tuple[str, int] | None:
        """The embedder (name, dimension) the store's vectors come from; None while it is empty."""
        ...

    async def reindex_begin(self, name: str, dimension: int, *, restart: bool = False) -> ReindexProgress: ...

    async def reindex_progress(self) -> ReindexProgress: ...

    async def reindex_pending(self, limit: int, after: int = 0) -> list[tuple[int, str]]: ...

    async def reindex_write(
        self, target: str, keys: Sequence[int], texts: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> int: ...

    async def reindex_swap(self) -> bool: ...
