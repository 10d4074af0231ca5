"""What authentication and authorization refuse. Messages say what is missing, never what exists."""

from __future__ import annotations


class Unauthenticated(Exception):
    """No credentials, or credentials that do not verify (UNAUTHENTICATED)."""


class PermissionDenied(Exception):
    """A verified caller whose grant does not cover the scope and namespace asked for (PERMISSION_DENIED).

    The answer is the same whether the namespace exists or not, so it tells a stranger nothing."""


class QuotaExceeded(Exception):
    """A rate limit was reached (RESOURCE_EXHAUSTED); `retry_after_s` says when a retry may pass."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
