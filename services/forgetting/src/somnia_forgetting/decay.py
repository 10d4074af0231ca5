"""Every hot memory's strength, read page by page: the same law Recall ranks with (base-level activation
from the recording and each use, raised by importance from feedback and by the success of the patterns
the memory's turn realises)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from somnia_graph_store import GraphStore, TurnRef
from somnia_memory_store import MemoryRecord, MemoryStore, scan_all
from somnia_retrieval.rerank import importance
from somnia_retrieval.strength import ActivationLaw

# Only what was captured fades: insights, procedures and negative memories are what forgetting keeps.
FADING_KINDS = ("episodic",)


@dataclass(frozen=True)
class Scored:
    memory_id: str
    session_id: str
    strength: float
    age_days: float


@dataclass(frozen=True)
class NamespaceStrengths:
    hot: int  # every hot memory, of any kind
    scored: list[Scored]  # the episodic ones, weakest first


async def score_namespace(
    store: MemoryStore, graph: GraphStore, law: ActivationLaw, namespace: str, now: datetime, *, page_size: int
) -> NamespaceStrengths:
    hot = 0
    scored: list[Scored] = []
    page: list[MemoryRecord] = []
    async for record in scan_all(store, namespace, None, page_size=page_size):
        hot += 1
        if record.kind in FADING_KINDS:
            page.append(record)
        if len(page) >= page_size:
            scored.extend(await _score(graph, law, namespace, page, now))
            page = []
    if page:
        scored.extend(await _score(graph, law, namespace, page, now))
    scored.sort(key=lambda s: (s.strength, s.memory_id))
    return NamespaceStrengths(hot, scored)


async def _score(
    graph: GraphStore, law: ActivationLaw, namespace: str, records: Sequence[MemoryRecord], now: datetime
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
        out.append(Scored(r.memory_id, r.session_id, strength, (now - r.recorded_at).total_seconds() / 86400.0))
    return out
