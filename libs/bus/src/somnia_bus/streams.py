"""Declare Somnia's JetStream streams idempotently; every service that touches a stream may call it."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError
from somnia_contracts import StreamSpec


def stream_config(spec: StreamSpec) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        duplicate_window=spec.duplicate_window_s,
        max_age=spec.max_age_s,
    )


async def ensure_streams(broker: NatsBroker, *specs: StreamSpec) -> None:
    """Create each stream, or bring an existing one to this config."""
    js = broker.config.connection_state.stream
    for spec in specs:
        config = stream_config(spec)
        try:
            await js.add_stream(config=config)
        except BadRequestError:
            await js.update_stream(config=config)
