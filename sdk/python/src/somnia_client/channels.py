"""Channels to Somnia's two APIs, plaintext or TLS (a CA file; a client certificate and key for mTLS).
The key or token rides in each call's metadata."""

from __future__ import annotations

import grpc

from somnia_client.settings import ClientSettings


def options(settings: ClientSettings) -> list[tuple[str, int]]:
    return [
        # Room for a batch of large turns (the servers cap a turn at 256 KiB and a message at 4 MiB or more).
        ("grpc.max_send_message_length", 16 * 1024 * 1024),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
        # gRPC waits out its own reconnect backoff (1 s, growing to 2 min) before it dials a server that
        # refused once; the SDK's retries pace themselves, so let the channel redial about as often.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", max(100, int(settings.backoff_max_s * 1000))),
    ]


def credentials(settings: ClientSettings) -> grpc.ChannelCredentials | None:
    if settings.ca_file is None:
        if settings.client_cert_file or settings.client_key_file:
            raise ValueError("a client certificate needs TLS: set SOMNIA_CA_FILE (ca_file) too")
        return None
    chain = settings.client_cert_file.read_bytes() if settings.client_cert_file else None
    key = settings.client_key_file.read_bytes() if settings.client_key_file else None
    if (chain is None) != (key is None):
        raise ValueError("mTLS needs both client_cert_file and client_key_file")
    return grpc.ssl_channel_credentials(settings.ca_file.read_bytes(), key, chain)


def call_metadata(settings: ClientSettings) -> tuple[tuple[str, str], ...]:
    token = settings.credential()
    return (("authorization", f"Bearer {token}"),) if token else ()


def sync_channel(address: str, settings: ClientSettings) -> grpc.Channel:
    tls = credentials(settings)
    if tls is None:
        return grpc.insecure_channel(address, options=options(settings))
    return grpc.secure_channel(address, tls, options=options(settings))


def aio_channel(address: str, settings: ClientSettings) -> grpc.aio.Channel:
    tls = credentials(settings)
    if tls is None:
        return grpc.aio.insecure_channel(address, options=options(settings))
    return grpc.aio.secure_channel(address, tls, options=options(settings))
