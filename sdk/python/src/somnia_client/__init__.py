"""Somnia's Python SDK: long-term memory for LLM agents over gRPC, sync (`Memory`) and async
(`AsyncMemory`), with sessions, retries on UNAVAILABLE, deadlines, TLS, keys or tokens, and typed errors
that carry the server's message."""

from somnia_client.aio import AsyncMemory, AsyncSession
from somnia_client.client import Memory, Session
from somnia_client.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    SomniaError,
    Unauthenticated,
    Unavailable,
)
from somnia_client.results import (
    ForgetReport,
    RecalledMemory,
    RecallResult,
    Scores,
    ToolCall,
    Turn,
    TurnAck,
    WakeDelta,
    WarmContext,
    WarmLayer,
)
from somnia_client.retry import RetryPolicy
from somnia_client.settings import ClientSettings

__all__ = [
    "AsyncMemory",
    "AsyncSession",
    "ClientSettings",
    "DeadlineExceeded",
    "FailedPrecondition",
    "ForgetReport",
    "InvalidArgument",
    "Memory",
    "NotFound",
    "PermissionDenied",
    "RecallResult",
    "RecalledMemory",
    "ResourceExhausted",
    "RetryPolicy",
    "Scores",
    "Session",
    "SomniaError",
    "ToolCall",
    "Turn",
    "TurnAck",
    "Unauthenticated",
    "Unavailable",
    "WakeDelta",
    "WarmContext",
    "WarmLayer",
]
