"""The caller of the RPC being served, and the one check every handler makes: `authorize(scope, ns)`.

The interceptor sets the caller for the call's task; a handler reached without it (an interceptor left
out by mistake) is refused, never served as anyone.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from somnia_auth.errors import PermissionDenied, QuotaExceeded
from somnia_auth.grants import Principal, Scope
from somnia_auth.quotas import RateLimiter


@dataclass(frozen=True)
class Access:
    principal: Principal
    namespace_limit: RateLimiter | None = None


CURRENT_ACCESS: ContextVar[Access | None] = ContextVar("somnia_access", default=None)


def current_principal() -> Principal:
    access = CURRENT_ACCESS.get()
    if access is None:
        raise PermissionDenied("this call carries no verified identity")
    return access.principal


def authorize(scope: Scope, namespace: str, *, count: bool = True) -> Principal:
    """The caller, if its grant allows `scope` in `namespace`; else PermissionDenied, worded the same
    whether the namespace exists or not. `count=False` skips the namespace's rate limit (a stream's
    later messages to a namespace it already opened)."""
    access = CURRENT_ACCESS.get()
    if access is None:
        raise PermissionDenied("this call carries no verified identity")
    if not access.principal.grant.allows(scope, namespace):
        raise PermissionDenied(
            f"{access.principal.subject} may not {scope} in namespace {namespace!r}: the grant needs the "
            f"'{scope}' scope on a pattern covering it"
        )
    if count and access.namespace_limit is not None:
        wait = access.namespace_limit.take(namespace)
        if wait > 0:
            raise QuotaExceeded(
                f"namespace {namespace!r} is over its rate limit of {access.namespace_limit.rate:g} calls/s; "
                f"retry in {wait:.2f} s",
                wait,
            )
    return access.principal
