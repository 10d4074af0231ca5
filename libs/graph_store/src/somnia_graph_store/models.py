"""Nodes of the memory graph. Edges are implied: a Turn is PART_OF its Session, a Memory PART_OF its
Turn, and consecutive turns of a session (by time, then id) are joined by NEXT."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class SessionNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    agent: str = ""
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    outcome: str = ""


class TurnNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    turn_id: str
    role: str
    occurred_at: AwareDatetime
    # Arrival order (the JetStream sequence): breaks ties between turns stamped with the same time.
    sequence: int = 0


def turn_sort_key(turn: TurnNode) -> str:
    """Turns of a session are chained NEXT in this order: time, then arrival, then id."""
    return f"{turn.occurred_at.timestamp():020.6f}/{turn.sequence:020d}/{turn.turn_id}"


class MemoryNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    turn_id: str
    memory_id: str
    kind: str = "episodic"
