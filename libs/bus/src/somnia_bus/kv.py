"""NATS KV buckets: bind or create one, and purge what sits under a subject (a key prefix, or a
session's or namespace's messages in a stream), counting what was there."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue


async def open_key_value(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    """The bucket, created with `config` when it does not exist yet."""
    try:
        return await js.key_value(config.bucket)
    except BucketNotFoundError:
        return await js.create_key_value(config)


def key_prefix_subject(bucket: str, prefix: str) -> tuple[str, str]:
    """The stream behind a bucket and the subject of its keys under `prefix.`."""
    return f"KV_{bucket}", f"$KV.{bucket}.{prefix}.>"


async def purge_subject(js: JetStreamContext, stream: str, subject: str) -> int:
    """Remove every message of `stream` under `subject`; returns how many there were (0 when the
    stream does not exist)."""
    try:
        info = await js.stream_info(stream, subjects_filter=subject)
    except NotFoundError:
        return 0
    held = sum((info.state.subjects or {}).values())
    if held:
        await js.purge_stream(stream, subject=subject)
    return held
