"""Versioned NATS subjects and the JetStream streams that hold them.

Subjects carry the namespace and session as their last tokens so that one session's messages can be
found (and later purged) by subject alone: `somnia.v1.session.turn.<namespace>.<session_id>`.
Namespace parts are joined with '/', which NATS allows inside a token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

VERSION = "v1"
PREFIX = f"somnia.{VERSION}"


class Subjects:
    """Builders for every subject Somnia publishes, and the wildcards consumers bind to."""

    SESSION_ALL = f"{PREFIX}.session.>"
    SESSION_STARTED_ALL = f"{PREFIX}.session.started.>"
    SESSION_TURN_ALL = f"{PREFIX}.session.turn.>"
    SESSION_CLOSED_ALL = f"{PREFIX}.session.closed.>"
    MEMORY_ALL = f"{PREFIX}.memory.>"
    MEMORY_INDEXED_ALL = f"{PREFIX}.memory.indexed.>"
    MEMORY_FEEDBACK_ALL = f"{PREFIX}.memory.feedback.>"
    MEMORY_RECALLED_ALL = f"{PREFIX}.memory.recalled.>"
    MEMORY_ARCHIVED_ALL = f"{PREFIX}.memory.archived.>"
    MEMORY_WITHDRAWN_ALL = f"{PREFIX}.memory.withdrawn.>"
    CACHE_ALL = f"{PREFIX}.cache.>"
    DREAM_ALL = f"{PREFIX}.dream.>"
    AUDIT_ALL = f"{PREFIX}.audit.>"
    DREAM_REQUESTED_ALL = f"{PREFIX}.dream.requested.>"

    @staticmethod
    def session_started(namespace: str, session_id: str) -> str:
        return f"{PREFIX}.session.started.{namespace}.{session_id}"

    @staticmethod
    def session_turn(namespace: str, session_id: str) -> str:
        return f"{PREFIX}.session.turn.{namespace}.{session_id}"

    @staticmethod
    def session_closed(namespace: str, session_id: str) -> str:
        return f"{PREFIX}.session.closed.{namespace}.{session_id}"

    @staticmethod
    def memory_indexed(namespace: str, session_id: str) -> str:
        return f"{PREFIX}.memory.indexed.{namespace}.{session_id}"

    @staticmethod
    def memory_feedback(namespace: str, session_id: str) -> str:
        return f"{PREFIX}.memory.feedback.{namespace}.{session_id}"

    @staticmethod
    def memory_recalled(namespace: str, session_id: str) -> str:
        return f"{PREFIX}.memory.recalled.{namespace}.{session_id}"

    @staticmethod
    def dream_requested(namespace: str, run_id: str) -> str:
        return f"{PREFIX}.dream.requested.{namespace}.{run_id}"

    @staticmethod
    def dream_found(kind: str, namespace: str, run_id: str) -> str:
        """`kind` is pattern, community or insight."""
        return f"{PREFIX}.dream.{kind}.{namespace}.{run_id}"

    @staticmethod
    def memory_forgotten(namespace: str, audit_id: str) -> str:
        return f"{PREFIX}.audit.forgotten.{namespace}.{audit_id}"

    @staticmethod
    def of_session(namespace: str, session_id: str) -> str:
        """Every subject of one session, in any stream: what erasing the session purges."""
        return f"{PREFIX}.*.*.{namespace}.{session_id}"

    @staticmethod
    def of_namespace(namespace: str) -> str:
        return f"{PREFIX}.*.*.{namespace}.*"


class MsgIds:
    """Nats-Msg-Id values: JetStream stores a message once per id within its stream's window."""

    @staticmethod
    def turn(namespace: str, session_id: str, turn_id: str) -> str:
        return f"turn/{namespace}/{session_id}/{turn_id}"

    @staticmethod
    def session_started(namespace: str, session_id: str) -> str:
        return f"started/{namespace}/{session_id}"

    @staticmethod
    def session_closed(namespace: str, session_id: str) -> str:
        return f"closed/{namespace}/{session_id}"

    @staticmethod
    def memory_indexed(namespace: str, session_id: str, turn_id: str) -> str:
        return f"indexed/{namespace}/{session_id}/{turn_id}"

    @staticmethod
    def feedback(namespace: str, feedback_id: str) -> str:
        return f"feedback/{namespace}/{feedback_id}"

    @staticmethod
    def recalled(namespace: str, session_id: str, recall_id: str) -> str:
        return f"recalled/{namespace}/{session_id}/{recall_id}"

    @staticmethod
    def dream_requested(namespace: str, run_id: str) -> str:
        return f"dream/{namespace}/{run_id}"

    @staticmethod
    def memory_forgotten(namespace: str, audit_id: str) -> str:
        return f"forgotten/{namespace}/{audit_id}"

    @staticmethod
    def dream_found(kind: str, namespace: str, run_id: str, found_id: str) -> str:
        """A resumed run republishes what it found before the crash; the stream stores it once."""
        return f"{kind}/{namespace}/{run_id}/{found_id}"


def namespace_key_prefix(namespace: str) -> str:
    """The first token of every KV key Somnia writes for a namespace (warm packs, dream runs, erasure
    tombstones): KV keys allow fewer characters than namespaces, and one prefix per namespace lets an
    erasure purge all of a namespace's keys by subject."""
    return hashlib.sha256(namespace.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream every service declares the same way (declaring is idempotent)."""

    name: str
    subjects: tuple[str, ...]
    # Nats-Msg-Id de-duplication window; a repeat after it is still stored once by id downstream.
    duplicate_window_s: float
    max_age_s: float


SESSION_STREAM = StreamSpec(
    name="SOMNIA_SESSIONS",
    subjects=(Subjects.SESSION_ALL,),
    duplicate_window_s=3600.0,
    max_age_s=30 * 24 * 3600.0,
)
MEMORY_STREAM = StreamSpec(
    name="SOMNIA_MEMORY",
    subjects=(Subjects.MEMORY_ALL,),
    duplicate_window_s=600.0,
    max_age_s=7 * 24 * 3600.0,
)
CACHE_STREAM = StreamSpec(
    name="SOMNIA_CACHE",
    subjects=(Subjects.CACHE_ALL,),
    duplicate_window_s=120.0,
    max_age_s=24 * 3600.0,
)
DREAM_STREAM = StreamSpec(
    name="SOMNIA_DREAM",
    subjects=(Subjects.DREAM_ALL,),
    duplicate_window_s=24 * 3600.0,
    max_age_s=30 * 24 * 3600.0,
)
# The KV bucket of dream runs' checkpoints (dreaming writes it; a namespace erasure purges it).
DREAM_RUNS_BUCKET = "somnia_dream_runs"
# Namespaces due for a forgetting sweep (keys `<namespace prefix>.due`).
FORGETTING_BUCKET = "somnia_forgetting"
# Erasure's audit trail: kept a year, and never purged by an erasure (it holds no content).
AUDIT_STREAM = StreamSpec(
    name="SOMNIA_AUDIT",
    subjects=(Subjects.AUDIT_ALL,),
    duplicate_window_s=3600.0,
    max_age_s=365 * 24 * 3600.0,
)
# The streams whose messages carry memory content, and so are purged when it is forgotten.
CONTENT_STREAMS = (SESSION_STREAM, MEMORY_STREAM, CACHE_STREAM, DREAM_STREAM)
