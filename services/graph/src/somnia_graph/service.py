"""Turn events into graph writes: one idempotent batch per kind of node."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_contracts import MemoryIndexed, SessionClosed, SessionStarted, TurnCaptured
from somnia_graph_store import GraphStore, MemoryNode, SessionNode, TurnNode

GraphEvent = SessionStarted | TurnCaptured | SessionClosed | MemoryIndexed


class GraphLinker:
    def __init__(self, store: GraphStore) -> None:
        self._store = store

    async def link(self, events: Sequence[GraphEvent], sequences: Sequence[int] = ()) -> None:
        """Write every event's nodes and edges; when this returns, all of it is durable. `sequences` are
        the events' stream sequences (arrival order), when known."""
        sessions: list[SessionNode] = []
        turns: list[TurnNode] = []
        memories: list[MemoryNode] = []
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
                case MemoryIndexed():
                    memories.extend(
                        MemoryNode(
                            namespace=event.namespace,
                            session_id=event.session_id,
                            turn_id=event.turn_id,
                            memory_id=memory_id,
                        )
                        for memory_id in event.memory_ids
                    )
        if sessions:
            await self._store.upsert_sessions(sessions)
        if turns:
            await self._store.upsert_turns(turns)
        if memories:
            await self._store.upsert_memories(memories)
