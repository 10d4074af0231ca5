"""Client channels that carry a bearer token (API key or JWT) and, with a CA file, speak TLS: what the
CLI, the SDK and the tests use to call Somnia."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, cast

import grpc

from somnia_auth.tls import channel_credentials


class ClientTls(NamedTuple):
    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        return channel_credentials(self.ca_file, self.cert_file, self.key_file)


def _with_token(metadata: Any, token: str) -> list[tuple[str, str | bytes]]:
    return [*(metadata or ()), ("authorization", f"Bearer {token}")]


class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


class BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds `authorization: Bearer <token>` to every call of a synchronous channel."""

    def __init__(self, token: str) -> None:
        self._token = token

    def _details(self, details: Any) -> Any:
        return _Details(
            details.method,
            details.timeout,
            _with_token(details.metadata, self._token),
            details.credentials,
            details.wait_for_ready,
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


class _WithToken:
    """A multi-callable that adds the token to every call's metadata."""

    def __init__(self, inner: Any, metadata: tuple[tuple[str, str], ...]) -> None:
        self._inner, self._metadata = inner, metadata

    def __call__(self, *args: Any, metadata: Any = None, **kwargs: Any) -> Any:
        return self._inner(*args, metadata=(*(metadata or ()), *self._metadata), **kwargs)


class AioTokenChannel:
    """A grpc.aio channel whose calls carry `authorization: Bearer <token>`. Not a grpc.aio interceptor:
    intercepted aio calls cost more per call and now and then kept `close()` waiting (grpc/grpc#41893)."""

    def __init__(self, channel: grpc.aio.Channel, token: str) -> None:
        self._channel = channel
        self._metadata = (("authorization", f"Bearer {token}"),)

    def unary_unary(self, *args: Any, **kwargs: Any) -> Any:
        return _WithToken(self._channel.unary_unary(*args, **kwargs), self._metadata)

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        return _WithToken(self._channel.unary_stream(*args, **kwargs), self._metadata)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        return _WithToken(self._channel.stream_unary(*args, **kwargs), self._metadata)

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        return _WithToken(self._channel.stream_stream(*args, **kwargs), self._metadata)

    async def close(self, grace: float | None = None) -> None:
        await self._channel.close(grace)

    async def __aenter__(self) -> AioTokenChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close(None)

    def __getattr__(self, name: str) -> Any:  # channel_ready, get_state, ...
        return getattr(self._channel, name)


# The token rides in metadata, over TLS too: gRPC's own access-token call credentials run a Python
# callback on a thread for every call, which measured slower (benchmarks/security_bench.py).
def open_channel(address: str, *, token: str = "", tls: ClientTls | None = None) -> grpc.Channel:
    channel = grpc.secure_channel(address, tls.credentials()) if tls else grpc.insecure_channel(address)
    return grpc.intercept_channel(channel, BearerToken(token)) if token else channel


def open_aio_channel(
    address: str,
    *,
    token: str = "",
    tls: ClientTls | None = None,
    options: Sequence[tuple[str, int | str]] = (),
) -> grpc.aio.Channel:
    """`options` are gRPC channel arguments; ("grpc.use_local_subchannel_pool", 1) gives the channel a
    connection of its own (channels of one process to one address otherwise share one)."""
    if tls:
        channel = grpc.aio.secure_channel(address, tls.credentials(), options=list(options))
    else:
        channel = grpc.aio.insecure_channel(address, options=list(options))
    return cast(grpc.aio.Channel, AioTokenChannel(channel, token)) if token else channel
