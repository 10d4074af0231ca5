"""What a call can fail with: one exception per gRPC status an agent should handle differently, each
carrying the server's message (which says what to fix)."""

from __future__ import annotations

import grpc

RETRY_AFTER_KEY = "retry-after-ms"  # the trailer Somnia's servers send with RESOURCE_EXHAUSTED


class SomniaError(Exception):
    """A call Somnia refused or could not answer. `code` is the gRPC status, `details` the server's text."""

    def __init__(self, code: grpc.StatusCode, details: str, method: str = "") -> None:
        super().__init__(f"{method + ': ' if method else ''}{code.name}: {details}")
        self.code, self.details, self.method = code, details, method


class InvalidArgument(SomniaError):
    """The request is malformed; the message names the field."""


class NotFound(SomniaError):
    """The memory or session is not in the namespace (or is not yours: the answer is the same)."""


class Unauthenticated(SomniaError):
    """No key or token, or one that does not verify."""


class PermissionDenied(SomniaError):
    """The key or token does not grant this scope on this namespace."""


class ResourceExhausted(SomniaError):
    """A rate limit or storage quota; `retry_after_s` is the server's hint (None when it gave none)."""

    def __init__(self, code: grpc.StatusCode, details: str, method: str = "", retry_after_s: float | None = None):
        super().__init__(code, details, method)
        self.retry_after_s = retry_after_s


class Unavailable(SomniaError):
    """Somnia (or the bus behind it) could not be reached, after every retry."""


class DeadlineExceeded(SomniaError):
    """The call took longer than its deadline."""


class FailedPrecondition(SomniaError):
    """The request cannot be served in the server's current state (e.g. forget without NATS)."""


BY_CODE: dict[grpc.StatusCode, type[SomniaError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
}


def retry_after_s(error: grpc.RpcError) -> float | None:
    # Sync errors are grpc.Call, grpc.aio's are AioRpcError: both have these methods, neither subclasses the other.
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == RETRY_AFTER_KEY:
            try:
                return int(value) / 1000
            except ValueError:
                return None
    return None


def translate(error: grpc.RpcError, method: str = "") -> SomniaError:
    """The typed exception for a gRPC error."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else None) or str(error)
    kind = BY_CODE.get(code, SomniaError)
    if kind is ResourceExhausted:
        return ResourceExhausted(code, details, method, retry_after_s(error))
    return kind(code, details, method)
