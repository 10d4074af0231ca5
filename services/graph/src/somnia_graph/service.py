"""Turn events into graph writes: one idempotent batch per kind of node or edge.

Turns bring their entities (from the extractor) and tool calls; indexed memories bring SIMILAR_TO
edges to their nearest memories in the vector store, and what they say about older memories
(knowledge.py: SUPERSEDES edges to those they replace, verdicts on those they take back or whose
condition they change, DEPENDS_ON / REPLACES_IF edges for what they rest on); feedback becomes nodes
on the memory or session it is about; recalls become uses on the memories returned (base-level
activation's traces). Every write is a MERGE (a use is keyed by its recall), so a redelivered batch
changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import numpy as np
from somnia_contracts import (
    MemoryFeedback,
    MemoryIndexed,
    MemoryRecalled,
    MemoryWithdrawn,
    SessionClosed,
    SessionStarted,
    TurnCaptured,
)
from somnia_extraction import Extractor
from somnia_graph_store import (
    FeedbackNode,
    MemoryNode,
    MemoryUse,
    Mention,
    SessionNode,
    Similarity,
    ToolUse,
    TurnNode,
)
from somnia_memory_store import MemoryStore

from somnia_graph.dependencies import DependencyTracker
from somnia_graph.knowledge import KnowledgeKeeper
from somnia_graph.ports import LinkingGraph
from somnia_graph.retraction import RetractionDetector
from somnia_graph.supersession import SupersessionDetector

GraphEvent = SessionStarted | TurnCaptured | SessionClosed | MemoryIndexed | MemoryFeedback | MemoryRecalled


class SimilarityLinker:
    """Links each new memory to its `top` nearest memories (cosine at least `threshold`) in its namespace."""

    def __init__(self, store: MemoryStore, *, top: int, threshold: float) -> None:
        self._store = store
        self._top = top
        self._threshold = threshold

    async def similar(self, memories: Sequence[MemoryNode]) -> list[Similarity]:
        pairs: list[Similarity] = []
        by_namespace: dict[str, list[str]] = {}
        for m in memories:
            by_namespace.setdefault(m.namespace, []).append(m.memory_id)
        for namespace, ids in by_namespace.items():
            records = await self._store.get(namespace, ids)
            if not records:
                continue
            vectors = np.vstack([r.vector for r in records]).astype(np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            nearest = await self._store.nearest_ids(namespace, vectors, self._top + 1)
            for record, found in zip(records, nearest, strict=True):
                for other_id, score in found:
                    if other_id != record.memory_id and score >= self._threshold:
                        pairs.append(
                            Similarity(namespace=namespace, memory_id=record.memory_id, other_id=other_id, score=score)
                        )
        return pairs


class GraphLinker:
    def __init__(
        self,
        store: LinkingGraph,
        extractor: Extractor | None = None,
        similarity: SimilarityLinker | None = None,
        supersession: SupersessionDetector | None = None,
        *,
        memory_store: MemoryStore | None = None,
        retraction: RetractionDetector | None = None,
        dependencies: DependencyTracker | None = None,
        announce: Callable[[Sequence[MemoryWithdrawn]], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._extractor = extractor
        self._similarity = similarity
        self._knowledge = KnowledgeKeeper(store, memory_store, supersession, retraction, dependencies)
        # Withdrawals are announced after the graph holds them; a failed announcement redelivers the
        # batch, whose writes are merges and whose events are deduplicated by message id.
        self._announce = announce

    async def link(self, events: Sequence[GraphEvent], sequences: Sequence[int] = ()) -> None:
        """Write every event's nodes and edges; when this returns, all of it is durable. `sequences` are
        the events' stream sequences (arrival order), when known."""
        sessions: list[SessionNode] = []
        turns: list[TurnNode] = []
        said: list[TurnCaptured] = []
        tool_uses: list[ToolUse] = []
        memories: list[MemoryNode] = []
        feedback: list[FeedbackNode] = []
        uses: list[MemoryUse] = []
        for n, event in enumerate(events):
            sequence = sequences[n] if n < len(sequences) else 0
            match event:
                case SessionStarted():
                    sessions.append(
                        SessionNode(
                            namespace=event.namespace,
                            session_id=event.session_id,
                            agent=event.agent,
                            started_at=event.started_at,
                            tools=event.tools,
                        )
                    )
                case SessionClosed():
                    sessions.append(
                        SessionNode(
                            namespace=event.namespace,
                            session_id=event.session_id,
                            ended_at=event.ended_at,
                            outcome=event.outcome,
                        )
                    )
                case TurnCaptured():
                    turns.append(
                        TurnNode(
                            namespace=event.namespace,
                            session_id=event.session_id,
                            turn_id=event.turn_id,
                            role=event.role,
                            occurred_at=event.occurred_at,
                            sequence=sequence,
                        )
                    )
                    said.append(event)
                    if event.tool_call is not None and event.tool_call.name:
                        tool_uses.append(
                            ToolUse(
                                namespace=event.namespace,
                                session_id=event.session_id,
                                turn_id=event.turn_id,
                                tool=event.tool_call.name,
                            )
                        )
                case MemoryIndexed():
                    memories.extend(
                        MemoryNode(
                            namespace=event.namespace,
                            session_id=event.session_id,
                            turn_id=event.turn_id,
                            memory_id=memory_id,
                            kind=event.kind,
                            quotes=event.quotes,
                        )
                        for memory_id in event.memory_ids
                    )
                case MemoryRecalled():
                    uses.extend(
                        MemoryUse(
                            namespace=event.namespace, memory_id=m, use_id=event.recall_id, used_at=event.recalled_at
                        )
                        for m in event.memory_ids
                    )
                case MemoryFeedback():
                    feedback.append(
                        FeedbackNode(
                            namespace=event.namespace,
                            feedback_id=event.feedback_id,
                            target="memory" if event.memory_id else "session",
                            target_id=event.memory_id or event.session_id,
                            signal=event.signal,
                            note=event.note,
                            reported_at=event.reported_at,
                        )
                    )
        if sessions:
            await self._store.upsert_sessions(sessions)
        if turns:
            await self._store.upsert_turns(turns)
        mentions = await self._mentions(said) if said and self._extractor is not None else []
        if mentions:
            await self._store.upsert_mentions(mentions)
        if tool_uses:
            await self._store.upsert_tool_uses(tool_uses)
        if memories:
            await self._store.upsert_memories(memories)
            pairs = await self._similarity.similar(memories) if self._similarity is not None else []
            if pairs:
                await self._store.upsert_similarities(pairs)
            withdrawn = await self._knowledge.update(memories)
            if withdrawn and self._announce is not None:
                await self._announce(withdrawn)
        if feedback:
            await self._store.upsert_feedback(feedback)
        if uses:
            await self._store.record_uses(uses)

    async def _mentions(self, turns: Sequence[TurnCaptured]) -> list[Mention]:
        assert self._extractor is not None
        texts = [t.content if t.tool_call is None else f"{t.content}\n{t.tool_call.result}" for t in turns]
        extractions = await self._extractor.extract(texts, [t.occurred_at for t in turns])
        return [
            Mention(
                namespace=t.namespace,
                session_id=t.session_id,
                turn_id=t.turn_id,
                entity_key=entity.key,
                name=entity.name,
                kind=entity.kind,
            )
            for t, extraction in zip(turns, extractions, strict=True)
            for entity in extraction.entities
        ]
