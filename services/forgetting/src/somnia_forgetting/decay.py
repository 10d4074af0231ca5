"""Every hot memory's strength, read page by page: the same law Recall ranks with (base-level activation
from the recording and each use, raised by importance from feedback and by the success of the patterns
the memory's turn realises); and whether a stronger near-duplicate of it is hot (then it is redundant:
forgetting it loses nothing the other does not still say)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from somnia_graph_store import TurnRef
from somnia_memory_model import ActivationLaw, importance
from somnia_memory_store import MemoryRecord, MemoryStore, scan_all

from somnia_forgetting.ports import StrengthGraph

# Only what was captured fades: insights, procedures and negative memories are what forgetting keeps.
FADING_KINDS = ("episodic",)


@dataclass(frozen=True)
class Scored:
    memory_id: str
    session_id: str
    strength: float
    age_days: float
    # Near-duplicates (cosine at least the duplicate bar) among its nearest hot memories.
    near: tuple[str, ...] = ()
    redundant: bool = False


@dataclass(frozen=True)
class NamespaceStrengths:
    hot: int  # every hot memory, of any kind
    scored: list[Scored]  # the episodic ones, weakest first


@dataclass(frozen=True)
class Duplicates:
    cosine: float = 0.9  # all-MiniLM-L6-v2: the same sentence with a word or a name changed
    neighbours: int = 8
    # Only memories weaker than this are checked (1.0: all, as when the namespace is over budget).
    below: float = 1.0


async def score_namespace(
    store: MemoryStore,
    graph: StrengthGraph,
    law: ActivationLaw,
    namespace: str,
    now: datetime,
    *,
    page_size: int,
    duplicates: Duplicates | None = None,
) -> NamespaceStrengths:
    hot = 0
    scored: list[Scored] = []
    page: list[MemoryRecord] = []
    async for record in scan_all(store, namespace, None, page_size=page_size):
        hot += 1
        if record.kind in FADING_KINDS:
            page.append(record)
        if len(page) >= page_size:
            scored.extend(await _score(store, graph, law, namespace, page, now, duplicates))
            page = []
    if page:
        scored.extend(await _score(store, graph, law, namespace, page, now, duplicates))
    # Redundant: a near-duplicate is stronger (ties by id), so of each group of copies the strongest
    # stays and says what they all said.
    rank = {s.memory_id: (s.strength, s.memory_id) for s in scored}
    scored = [
        replace(s, redundant=any(rank.get(n, (-1.0, "")) > rank[s.memory_id] for n in s.near)) if s.near else s
        for s in scored
    ]
    scored.sort(key=lambda s: (s.strength, s.memory_id))
    return NamespaceStrengths(hot, scored)


async def _near_duplicates(
    store: MemoryStore, namespace: str, records: Sequence[MemoryRecord], duplicates: Duplicates
) -> list[tuple[str, ...]]:
    vectors = np.vstack([r.vector for r in records]).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    found = await store.nearest_ids(namespace, vectors, duplicates.neighbours + 1)
    return [
        tuple(i for i, score in row if i != r.memory_id and score >= duplicates.cosine)
        for r, row in zip(records, found, strict=True)
    ]


async def _score(
    store: MemoryStore,
    graph: StrengthGraph,
    law: ActivationLaw,
    namespace: str,
    records: Sequence[MemoryRecord],
    now: datetime,
    duplicates: Duplicates | None,
) -> list[Scored]:
    ids = [r.memory_id for r in records]
    uses = await graph.memory_uses(namespace, ids)
    feedback = await graph.feedback_counts(namespace, ids)
    success = await graph.pattern_success(
        namespace, list({TurnRef(session_id=r.session_id, turn_id=r.turn_id) for r in records})
    )
    out: list[Scored] = []
    for r in records:
        history = uses.get(r.memory_id)
        base = (
            law.base_level(now, r.recorded_at, history.count, history.recent)
            if history is not None
            else law.base_level(now, r.recorded_at)
        )
        strength = law.strength(
            base,
            importance(feedback.get(r.memory_id)),
            success.get(TurnRef(session_id=r.session_id, turn_id=r.turn_id), 0.0),
        )
        age_days = (now - r.recorded_at).total_seconds() / 86400.0
        out.append(Scored(r.memory_id, r.session_id, strength, age_days))
    if duplicates is None:
        return out
    # Copies are looked for only where they can matter: memories weak enough to be archived.
    weak = [n for n, s in enumerate(out) if s.strength < duplicates.below]
    if weak:
        near = await _near_duplicates(store, namespace, [records[n] for n in weak], duplicates)
        for n, copies in zip(weak, near, strict=True):
            out[n] = replace(out[n], near=copies)
    return out
