"""Feedback: check the report, then publish it as a `memory.feedback` event (the graph service stores
it on the memory or session; dreaming and forgetting read it later)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from somnia.recall.v1 import recall_pb2
from somnia_bus import JetStreamPublisher
from somnia_contracts import (
    MEMORY_SIGNALS,
    FeedbackSignal,
    MemoryFeedback,
    archive_namespace,
    validate_namespace,
    validate_session_id,
)
from somnia_memory_store import MemoryRecord, MemoryStore
from somnia_retrieval import InvalidQuery

SIGNALS: dict[int, FeedbackSignal] = {
    recall_pb2.FEEDBACK_SIGNAL_HELPED: "helped",
    recall_pb2.FEEDBACK_SIGNAL_MISLED: "misled",
    recall_pb2.FEEDBACK_SIGNAL_SUCCEEDED: "succeeded",
    recall_pb2.FEEDBACK_SIGNAL_FAILED: "failed",
    recall_pb2.FEEDBACK_SIGNAL_DISPROVEN: "disproven",
    recall_pb2.FEEDBACK_SIGNAL_RETRACTED: "retracted",
    recall_pb2.FEEDBACK_SIGNAL_CHECKED_ABSENT: "checked_absent",
}
MAX_NOTE_CHARS = 4096


class UnknownMemory(LookupError):
    """Feedback about a memory id the namespace does not hold."""


class FeedbackRecorder:
    def __init__(self, store: MemoryStore, publisher: JetStreamPublisher) -> None:
        self._store = store
        self._publisher = publisher

    async def record(self, request: recall_pb2.FeedbackRequest) -> str:
        validate_namespace(request.namespace)
        signal = SIGNALS.get(request.signal)
        if signal is None:
            raise InvalidQuery(
                f"signal {request.signal} is not a feedback signal; use HELPED, MISLED, DISPROVEN or RETRACTED "
                "with a memory_id, SUCCEEDED, FAILED or CHECKED_ABSENT with a session_id"
            )
        if len(request.note) > MAX_NOTE_CHARS:
            raise InvalidQuery(f"note is {len(request.note)} characters; at most {MAX_NOTE_CHARS} are kept")
        if len(request.feedback_id) > 128:
            raise InvalidQuery("feedback_id is longer than 128 characters")
        about_memory = signal in MEMORY_SIGNALS
        if about_memory and not request.memory_id:
            raise InvalidQuery(f"{signal.upper()} is about a recalled memory: set memory_id")
        if not about_memory and not request.session_id:
            raise InvalidQuery(f"{signal.upper()} is about a session's task: set session_id")
        if signal == "checked_absent" and not request.note.strip():
            raise InvalidQuery("CHECKED_ABSENT needs a note naming what was looked for and where")
        if request.evidence_memory_id and signal != "disproven":
            raise InvalidQuery("evidence_memory_id belongs to DISPROVEN only")
        if request.evidence_memory_id == request.memory_id and request.memory_id:
            raise InvalidQuery("a memory cannot be its own evidence: evidence_memory_id must name another memory")
        session_id = request.session_id
        if about_memory:
            found = await self._find(request.namespace, request.memory_id)
            if found is None:
                raise UnknownMemory(f"memory {request.memory_id} is not in namespace {request.namespace}")
            session_id = session_id or found.session_id
        if request.evidence_memory_id and await self._find(request.namespace, request.evidence_memory_id) is None:
            raise UnknownMemory(f"evidence memory {request.evidence_memory_id} is not in namespace {request.namespace}")
        validate_session_id(session_id)
        feedback_id = request.feedback_id or uuid.uuid4().hex
        event = MemoryFeedback(
            namespace=request.namespace,
            session_id=session_id,
            feedback_id=feedback_id,
            memory_id=request.memory_id if about_memory else "",
            signal=signal,
            note=request.note,
            evidence_id=request.evidence_memory_id,
            reported_at=datetime.now(UTC),
        )
        await self._publisher.publish_event(event)
        return feedback_id

    async def _find(self, namespace: str, memory_id: str) -> MemoryRecord | None:
        """The memory, hot or archived (feedback about an archived memory still counts)."""
        for partition in (namespace, archive_namespace(namespace)):
            found = await self._store.get(partition, [memory_id])
            if found:
                return found[0]
        return None
