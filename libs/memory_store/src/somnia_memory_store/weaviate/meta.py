"""What the Weaviate store knows about itself, kept in one object of a small collection beside it: the
embedder its vectors come from, which physical collection serves now (a reindex moves it), and the
reindex in progress, if any. Every process reads it (writers on each write, readers once a second),
so a swap done by `somnia reindex` reaches them all without a restart.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from weaviate.classes.config import DataType, Property, Tokenization

META_ID = uuid.UUID("0b5e2a52-6f0f-4c59-9c3a-7b1d6a1f0e01")
# A seal lapses after this long: a `somnia reindex` stopped while sealed does not refuse writes forever.
# The swap switches only while less than half of it has passed since it sealed: writers judge the seal by
# their own clocks, which may differ from the command's by up to that half (NTP keeps them within ms).
SEAL_LEASE_S = 900.0

META_PROPERTIES = [
    Property(name="embedder", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
    Property(name="dimension", data_type=DataType.INT),
    # Added with reindexing; a meta collection made before it gains them (additive only).
    Property(name="collection", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
    Property(name="reindex_embedder", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
    Property(name="reindex_dimension", data_type=DataType.INT),
    Property(name="reindex_collection", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
    Property(name="sealed_at", data_type=DataType.NUMBER),
    Property(name="retired", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
]


@dataclass(frozen=True)
class StoreState:
    """The meta object, read. `collection` serves reads and writes; while a reindex is in progress its
    new vectors go to `reindex_collection`; `sealed_at` is when the swap's last step began, while
    writes wait (they are refused and retried) so that nothing lands in the old collection after its
    final sweep (a seal lapses after SEAL_LEASE_S);
    `retired` is the collection a swap replaced, removed once every process has moved off it."""

    collection: str
    embedder: str | None = None
    dimension: int | None = None
    reindex_embedder: str | None = None
    reindex_dimension: int | None = None
    reindex_collection: str | None = None
    sealed_at: float | None = None
    retired: str | None = None
    exists: bool = False  # whether the meta object is stored yet (not before the first write)

    @classmethod
    def read(cls, properties: dict[str, Any] | None, base: str) -> StoreState:
        if properties is None:
            return cls(collection=base)

        def text(name: str) -> str | None:
            value = properties.get(name)
            return str(value) if value else None

        def number(name: str) -> int | None:
            value = properties.get(name)
            return int(value) if value is not None else None

        return cls(
            collection=text("collection") or base,
            embedder=text("embedder"),
            dimension=number("dimension"),
            reindex_embedder=text("reindex_embedder"),
            reindex_dimension=number("reindex_dimension"),
            reindex_collection=text("reindex_collection"),
            sealed_at=float(properties["sealed_at"]) if properties.get("sealed_at") is not None else None,
            retired=text("retired"),
            exists=True,
        )

    def properties(self) -> dict[str, Any]:
        """The whole object, written with replace (a property left out is cleared)."""
        return {
            "collection": self.collection,
            "embedder": self.embedder,
            "dimension": self.dimension,
            "reindex_embedder": self.reindex_embedder,
            "reindex_dimension": self.reindex_dimension,
            "reindex_collection": self.reindex_collection,
            "sealed_at": self.sealed_at,
            "retired": self.retired,
        }

    def sealed(self, now: float | None = None) -> bool:
        """Whether writes must wait now: sealed, and the seal has not lapsed."""
        return self.sealed_at is not None and (now or time.time()) - self.sealed_at < SEAL_LEASE_S

    def sealed_long_enough_to_switch(self, now: float | None = None) -> bool:
        """Sealed recently enough that every writer, whatever its clock, still reads the seal as on."""
        return self.sealed_at is not None and (now or time.time()) - self.sealed_at < SEAL_LEASE_S / 2

    def swapped(self) -> StoreState:
        """The state after the swap: the target serves, the old collection waits to be removed."""
        assert self.reindex_collection is not None
        return replace(
            self,
            collection=self.reindex_collection,
            embedder=self.reindex_embedder,
            dimension=self.reindex_dimension,
            reindex_embedder=None,
            reindex_dimension=None,
            reindex_collection=None,
            sealed_at=None,
            retired=self.collection,
        )
