"""The shapes of namespaces, session ids and turn ids, checked the same way by every service.

Session and turn ids become NATS subject tokens, so they may not hold '.', '*', '>' or whitespace.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from pydantic import AfterValidator

NAMESPACE_PART = re.compile(r"[a-z0-9_-]{1,64}")
NAMESPACE_PARTS = 3
SESSION_ID = re.compile(r"[A-Za-z0-9_:-]{1,128}")
TURN_ID = re.compile(r"[A-Za-z0-9_:#-]{1,128}")


class IdentifierError(ValueError):
    """An id or namespace has the wrong shape; the message says what the right shape is."""


def validate_namespace(namespace: str) -> str:
    """Return the namespace if it is `tenant/agent/user`, each part [a-z0-9_-]{1,64}."""
    if not namespace:
        raise IdentifierError("namespace is required: use 'tenant/agent/user', e.g. 'acme/support-bot/alice'")
    parts = namespace.split("/")
    if len(parts) != NAMESPACE_PARTS or not all(NAMESPACE_PART.fullmatch(p) for p in parts):
        raise IdentifierError(
            f"namespace {namespace!r} is malformed: use 'tenant/agent/user' with each part made of "
            "1-64 characters from a-z, 0-9, '_' and '-'"
        )
    return namespace


def validate_session_id(session_id: str) -> str:
    """Return the session id if it is 1-128 characters of [A-Za-z0-9_:-]."""
    if not session_id:
        raise IdentifierError("session_id is required")
    if not SESSION_ID.fullmatch(session_id):
        raise IdentifierError(
            f"session_id {session_id[:140]!r} is malformed: use 1-128 characters from A-Z, a-z, 0-9, '_', ':' and '-'"
        )
    return session_id


def validate_turn_id(turn_id: str) -> str:
    """Return the turn id if it is 1-128 characters of [A-Za-z0-9_:#-]."""
    if not TURN_ID.fullmatch(turn_id):
        raise IdentifierError(
            f"turn_id {turn_id[:140]!r} is malformed: use 1-128 characters from A-Z, a-z, 0-9, '_', ':', '#' and '-'"
        )
    return turn_id


MEMORY_ID_NAMESPACE = uuid.UUID("6f1c1d0e-8b0a-4c55-9a38-5d7f0c2b9e11")


def validate_run_id(run_id: str) -> str:
    """Return the dream run id if it is 1-128 characters of [A-Za-z0-9_:-] (it is a subject token)."""
    if not SESSION_ID.fullmatch(run_id):
        raise IdentifierError(
            f"run id {run_id[:140]!r} is malformed: use 1-128 characters from A-Z, a-z, 0-9, '_', ':' and '-'"
        )
    return run_id


def insight_memory_id(namespace: str, source: str) -> str:
    """The id of the insight that states a pattern or community (`source` is e.g. 'community:c-1a2b'): the
    same group keeps the same insight across runs, so a rerun replaces it instead of adding another."""
    return "i-" + uuid.uuid5(MEMORY_ID_NAMESPACE, f"{namespace}/insight/{source}").hex


def negative_memory_id(namespace: str, feedback_id: str) -> str:
    """The id of the negative memory a report made ("tried X: failed because ..."): one per report, so a
    redelivered report rewrites it instead of adding another."""
    return "n-" + uuid.uuid5(MEMORY_ID_NAMESPACE, f"{namespace}/negative/{feedback_id}").hex


# A namespace's cold archive is a partition of the memory store of its own: out of the hot index (a
# search of the namespace never sees it), read only when asked. '#' cannot occur in a namespace.
ARCHIVE_SUFFIX = "#archive"


def archive_namespace(namespace: str) -> str:
    """The store partition that holds `namespace`'s archived memories."""
    return namespace + ARCHIVE_SUFFIX


def memory_id_for(namespace: str, session_id: str, turn_id: str, chunk_index: int) -> str:
    """The id of a turn's chunk: deterministic, so redelivery never duplicates and any service can find a
    turn's memories from the turn alone."""
    return "m-" + uuid.uuid5(MEMORY_ID_NAMESPACE, f"{namespace}/{session_id}/{turn_id}#{chunk_index}").hex


# Field types for pydantic models that carry ids: the same checks, wherever an id is read.
Namespace = Annotated[str, AfterValidator(validate_namespace)]
SessionId = Annotated[str, AfterValidator(validate_session_id)]
TurnId = Annotated[str, AfterValidator(validate_turn_id)]
RunId = Annotated[str, AfterValidator(validate_run_id)]
