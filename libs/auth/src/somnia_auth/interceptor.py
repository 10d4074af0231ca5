"""The server interceptor: authenticate every call (health checks excepted, for probes), apply the
caller's rate limit, and hand the handler its caller through `CURRENT_ACCESS`.

It wraps the method handler rather than checking up front so the caller is set inside the task that
runs the handler, where `authorize()` reads it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from somnia_auth.access import CURRENT_ACCESS, Access
from somnia_auth.authenticator import Authenticator
from somnia_auth.errors import Unauthenticated
from somnia_auth.quotas import RateLimiter

log = logging.getLogger("somnia.auth")
UNAUTHENTICATED_METHODS = ("/grpc.health.v1.Health/",)
RETRY_AFTER_KEY = "retry-after-ms"


async def refuse_over_quota(context: grpc.aio.ServicerContext, message: str, retry_after_s: float) -> None:
    """RESOURCE_EXHAUSTED with the wait in `retry-after-ms` trailing metadata (abort raises)."""
    context.set_trailing_metadata(((RETRY_AFTER_KEY, str(max(1, round(retry_after_s * 1000)))),))
    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, message)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        authenticator: Authenticator,
        *,
        caller_limit: RateLimiter | None = None,
        namespace_limit: RateLimiter | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._caller_limit, self._namespace_limit = caller_limit, namespace_limit
        # A method's handler is the same object on every call: wrap it once, not per call.
        self._wrapped: dict[int, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = str(handler_call_details.method)
        if handler is None or method.startswith(UNAUTHENTICATED_METHODS):
            return handler
        known = self._wrapped.get(id(handler))
        if known is None or known[0] is not handler:
            known = self._wrapped[id(handler)] = (handler, self._wrap(handler))
        return known[1]

    async def _admit(self, context: grpc.aio.ServicerContext) -> Access | None:
        """The caller's access, or None after aborting the call (abort raises inside a handler)."""
        try:
            principal = await self._authenticator.authenticate(
                tuple(context.invocation_metadata() or ()), context.auth_context()
            )
        except Unauthenticated as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
            return None
        if self._caller_limit is not None:
            wait = self._caller_limit.take(principal.subject)
            if wait > 0:
                await refuse_over_quota(
                    context,
                    f"{principal.subject} is over its rate limit of {self._caller_limit.rate:g} calls/s; "
                    f"retry in {wait:.2f} s",
                    wait,
                )
        return Access(principal, self._namespace_limit)

    def _wrap(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        admit = self._admit
        serializers: dict[str, Any] = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            inner_uu = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                token = CURRENT_ACCESS.set(await admit(context))
                try:
                    return await inner_uu(request, context)
                finally:
                    CURRENT_ACCESS.reset(token)

            return grpc.unary_unary_rpc_method_handler(unary_unary, **serializers)
        if handler.stream_unary is not None:
            inner_su = handler.stream_unary

            async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
                token = CURRENT_ACCESS.set(await admit(context))
                try:
                    return await inner_su(requests, context)
                finally:
                    CURRENT_ACCESS.reset(token)

            return grpc.stream_unary_rpc_method_handler(stream_unary, **serializers)
        streaming = handler.unary_stream or handler.stream_stream
        kind = grpc.unary_stream_rpc_method_handler if handler.unary_stream else grpc.stream_stream_rpc_method_handler

        async def streamed(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            token = CURRENT_ACCESS.set(await admit(context))
            try:
                async for reply in streaming(request, context):
                    yield reply
            finally:
                CURRENT_ACCESS.reset(token)

        return kind(streamed, **serializers)
