"""Requests that are not valid protobuf (truncated, corrupt, invalid UTF-8 in a string field) answer
INVALID_ARGUMENT saying which message could not be read, instead of gRPC's bare INTERNAL
"Exception deserializing request!"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc


class Undecodable:
    """Stands in for a request whose bytes did not parse."""

    def __init__(self, error: str) -> None:
        self.error = error


def lenient(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as exc:  # protobuf raises DecodeError, and others for odd inputs
            return Undecodable(str(exc) or type(exc).__name__)

    return decode


async def refuse(context: grpc.aio.ServicerContext, method: str, request: Undecodable) -> None:
    await context.abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"the request to {method} is not a valid protobuf message ({request.error[:200]}); "
        "send the message the method's .proto declares",
    )


class UndecodableRequests(grpc.aio.ServerInterceptor):
    def __init__(self) -> None:
        # A method's handler is the same object on every call: wrap it once, not per call.
        self._wrapped: dict[int, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        known = self._wrapped.get(id(handler))
        if known is None or known[0] is not handler:
            known = self._wrapped[id(handler)] = (handler, wrap(handler, str(handler_call_details.method)))
        return known[1]


def wrap(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    """The handler, answering undecodable requests with INVALID_ARGUMENT."""
    decode = lenient(handler.request_deserializer)
    if handler.unary_unary is not None:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, Undecodable):
                await refuse(context, method, request)
            return await inner_uu(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, request_deserializer=decode, response_serializer=handler.response_serializer
        )
    if handler.stream_unary is not None:
        inner_su = handler.stream_unary

        async def stream_unary(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
            async def checked() -> AsyncIterator[Any]:
                async for request in requests:
                    if isinstance(request, Undecodable):
                        await refuse(context, method, request)
                    yield request

            return await inner_su(checked(), context)

        return grpc.stream_unary_rpc_method_handler(
            stream_unary, request_deserializer=decode, response_serializer=handler.response_serializer
        )
    return handler  # server streaming (reflection) keeps gRPC's own handling
