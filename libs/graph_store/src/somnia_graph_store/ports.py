"""The graph port. Every method is scoped by namespace; writes are idempotent (MERGE semantics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from somnia_graph_store.models import MemoryNode, SessionNode, TurnNode

Label = Literal["Session", "Turn", "Memory"]


class GraphStoreError(RuntimeError):
    """The graph store could not do what was asked; the message says why."""


class GraphStore(Protocol):
    async def ensure_schema(self) -> None:
        """Create constraints and indexes (idempotent)."""
        ...

    async def upsert_sessions(self, sessions: Sequence[SessionNode]) -> None:
        """Merge sessions; fields that are empty/None never overwrite known values."""
        ...

    async def upsert_turns(self, turns: Sequence[TurnNode]) -> None:
        """Merge turns, link each PART_OF its session (created if unknown) and relink NEXT in order."""
        ...

    async def upsert_memories(self, memories: Sequence[MemoryNode]) -> None:
        """Merge memories and link each PART_OF its turn (created if unknown)."""
        ...

    async def session_turns(self, namespace: str, session_id: str) -> list[str]:
        """Turn ids of a session, following NEXT from the first turn."""
        ...

    async def turn_neighbours(self, namespace: str, session_id: str, turn_id: str, hops: int = 1) -> list[str]:
        """Turn ids within `hops` NEXT steps of a turn, either direction, nearest first."""
        ...

    async def memories_of_turn(self, namespace: str, session_id: str, turn_id: str) -> list[str]: ...

    async def count(self, namespace: str, label: Label) -> int: ...

    async def delete_namespace(self, namespace: str) -> int:
        """Remove every node and edge of a namespace; returns the number of nodes removed."""
        ...

    async def aclose(self) -> None: ...
