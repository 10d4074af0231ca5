"""What a caller may do: namespace patterns and scopes, and the principal that carries them.

A pattern is a namespace (`tenant/agent/user`) in which a part may be `*` (any one part); a trailing
`*` also covers everything below it, so `acme/*` is the whole tenant and `acme/support-bot/*` one agent.
`admin` includes every other scope: it is what erasing a whole namespace needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

Scope = Literal["capture", "recall", "feedback", "forget", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
PATTERN_PART = re.compile(r"[a-z0-9_-]{1,64}|\*")


class InvalidGrant(ValueError):
    """A grant names a scope or namespace pattern that does not exist; the message says which."""


def check_pattern(pattern: str) -> str:
    parts = pattern.split("/")
    if not 1 <= len(parts) <= 3 or not all(PATTERN_PART.fullmatch(p) for p in parts):
        raise InvalidGrant(
            f"namespace pattern {pattern!r} is malformed: use 'tenant/agent/user' where a part may be '*', "
            "e.g. 'acme/*' or 'acme/support-bot/*' ('*' alone is every namespace)"
        )
    if len(parts) < 3 and parts[-1] != "*":
        raise InvalidGrant(f"namespace pattern {pattern!r} names part of a namespace: end it with '/*'")
    return pattern


def pattern_matches(pattern: str, namespace: str) -> bool:
    want, have = pattern.split("/"), namespace.split("/")
    if want[-1] == "*" and len(want) < len(have):
        have = [*have[: len(want) - 1], "*"]
    return len(want) == len(have) and all(w in ("*", h) for w, h in zip(want, have, strict=True))


def check_scopes(scopes: Iterable[str]) -> frozenset[Scope]:
    checked: set[Scope] = set()
    for scope in scopes:
        if scope not in SCOPES:
            raise InvalidGrant(f"scope {scope!r} is unknown; use any of {', '.join(SCOPES)}")
        checked.add(scope)
    return frozenset(checked)


@dataclass(frozen=True)
class Grant:
    namespaces: tuple[str, ...]
    scopes: frozenset[Scope]

    @classmethod
    def of(cls, namespaces: Iterable[str], scopes: Iterable[str]) -> Grant:
        return cls(tuple(check_pattern(p) for p in namespaces), check_scopes(scopes))

    def allows(self, scope: Scope, namespace: str) -> bool:
        if scope not in self.scopes and "admin" not in self.scopes:
            return False
        return any(pattern_matches(p, namespace) for p in self.namespaces)


EVERYTHING = Grant(("*",), frozenset(SCOPES))


@dataclass(frozen=True)
class Principal:
    """Who is calling: `subject` names them in logs and the audit stream (`key:<name>`, `jwt:<sub>`,
    `cert:<identity>`), `method` is how they proved it."""

    subject: str
    method: Literal["api-key", "jwt", "mtls", "none"]
    grant: Grant = field(repr=False)


ANONYMOUS = Principal("anonymous (auth is off)", "none", EVERYTHING)
