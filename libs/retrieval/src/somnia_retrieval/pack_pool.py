"""The warm pack's candidate pool: every memory its searches found, each scored once by salience and by
closeness to the opening and to the recent topics, so each layer can rank the same pool its own way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from somnia_memory_model import DREAMT_KINDS
from somnia_memory_store import MemoryRecord

from somnia_retrieval.salience import SPEAKER, is_anchored, salience

# How much closeness to the opening (a cosine) counts beside salience when a layer ranks by both. On a
# replay of real conversations, salience + 0.5 x cosine predicted what later sessions reached back to
# better than either alone, and better than cosine + 0.5 x salience (2.2 against 1.6 times a random
# pack's hit rate at 500 tokens): an opening says little, what a memory tells says more.
CLOSENESS_WEIGHT = 0.5
# The opening's full recall (keywords, entities, the graph) finds what a cosine alone misses, such as
# the same task or project named again: its relevance (0..1 per query) adds to closeness at this weight.
RECALL_WEIGHT = 0.5
# A past memory this close to the opening says what the opening says (the same request made before:
# "today I need to renew the certificates"), and the agent has the opening already: it is left out.
# all-MiniLM-L6-v2: a request repeated with other words scores 0.84-0.88, what answers it 0.5-0.6.
ECHO_COSINE = 0.8


def predictive(p: Pooled) -> float:
    """How likely a later session needs this memory: what it tells, and how close it is to the session."""
    return p.salience + CLOSENESS_WEIGHT * p.closeness


# Salience and time anchoring by (memory id, text hash): a pack scores a few hundred memories, mostly
# the same ones build after build. No memory text is kept, and the whole cache is dropped when it fills.
_SCORED: dict[tuple[str, int], tuple[float, bool]] = {}
SCORED_CACHE_SIZE = 200_000


def scored(record: MemoryRecord) -> tuple[float, bool]:
    """(salience, anchored in time) of a memory."""
    key = (record.memory_id, hash(record.text))
    found = _SCORED.get(key)
    if found is None:
        if len(_SCORED) >= SCORED_CACHE_SIZE:
            _SCORED.clear()
        found = _SCORED[key] = (salience(record.text), is_anchored(record.text))
    return found


def salience_of(record: MemoryRecord) -> float:
    return scored(record)[0]


@dataclass(frozen=True)
class Pooled:
    record: MemoryRecord
    salience: float
    anchored: bool
    # Closeness to what the session says it is about: the cosine to the opening (else, at a bare start,
    # to the recent topics, which predicted less on a replay of real conversations), plus part of the
    # opening recall's relevance.
    closeness: float


class Pool:
    def __init__(self, members: list[Pooled]) -> None:
        self._members = members

    @classmethod
    def of(
        cls,
        records: Iterable[MemoryRecord],
        held: set[str],
        *,
        opening: npt.NDArray[np.float32] | None,
        topics: npt.NDArray[np.float32] | None,
        recalled: dict[str, float] | None = None,
    ) -> Pool:
        """One entry per memory, and one per text said more than once (the first time it was said); what
        dreaming wrote (ranked by its own rules), what the pack already holds (`held`) and echoes of the
        opening stay out."""
        unique: dict[str, MemoryRecord] = {}
        said: dict[str, MemoryRecord] = {}
        near: dict[str, float] = {}  # cosine to the opening, computed once
        for r in records:
            if r.kind in DREAMT_KINDS or r.memory_id in held or r.memory_id in unique:
                continue
            if opening is not None:
                near[r.memory_id] = closeness(r, opening)
                if near[r.memory_id] >= ECHO_COSINE:
                    continue
            text = same_text(r.text)
            first = said.get(text)
            if first is not None and first.occurred_at <= r.occurred_at:
                continue
            if first is not None:
                del unique[first.memory_id]
            said[text] = unique[r.memory_id] = r
        found = recalled or {}

        def about(r: MemoryRecord) -> float:
            return near[r.memory_id] if opening is not None else closeness(r, topics)

        return cls(
            [Pooled(r, *scored(r), about(r) + RECALL_WEIGHT * found.get(r.memory_id, 0.0)) for r in unique.values()]
        )

    def ranked(self, key: Callable[[Pooled], float]) -> list[Pooled]:
        """Best first by `key`; ties go to the newer memory."""
        return sorted(self._members, key=lambda p: (-key(p), -p.record.occurred_at.timestamp(), p.record.memory_id))


def reason(p: Pooled, about: str, layer: str) -> str:
    """Why a pooled memory is in the pack, in words an agent (and its developer) can check."""
    told = "an event or plan anchored in time" if p.anchored else "what it tells"
    return f"{layer}: {told} (salience {p.salience:.2f}), close to {about} (closeness {p.closeness:.2f})"


def same_text(text: str) -> str:
    """A text as compared for repeats: its words, lower case, without a speaker label."""
    return " ".join(SPEAKER.sub("", text, count=1).lower().split())


def closeness(record: MemoryRecord, vector: npt.NDArray[np.float32] | None) -> float:
    if vector is None or record.vector.shape != vector.shape:
        return 0.0
    return float(record.vector @ vector)
