"""Somnia's event contracts: versioned subjects, streams and pydantic event models shared by services."""

from somnia_contracts.events import (
    EVENT_TYPES,
    FEEDBACK_SIGNALS,
    OUTCOMES,
    ROLES,
    CacheWarmed,
    MemoryFeedback,
    MemoryIndexed,
    SessionClosed,
    SessionStarted,
    ToolCallPayload,
    TurnCaptured,
)
from somnia_contracts.identifiers import (
    IdentifierError,
    memory_id_for,
    validate_namespace,
    validate_session_id,
    validate_turn_id,
)
from somnia_contracts.subjects import (
    CACHE_STREAM,
    MEMORY_STREAM,
    SESSION_STREAM,
    MsgIds,
    StreamSpec,
    Subjects,
)

__all__ = [
    "CACHE_STREAM",
    "EVENT_TYPES",
    "FEEDBACK_SIGNALS",
    "MEMORY_STREAM",
    "OUTCOMES",
    "ROLES",
    "SESSION_STREAM",
    "CacheWarmed",
    "IdentifierError",
    "MemoryFeedback",
    "MemoryIndexed",
    "MsgIds",
    "SessionClosed",
    "SessionStarted",
    "StreamSpec",
    "Subjects",
    "ToolCallPayload",
    "TurnCaptured",
    "memory_id_for",
    "validate_namespace",
    "validate_session_id",
    "validate_turn_id",
]
