"""NATS KV buckets: bind or create one (erasable), and erase what sits under a subject (a key prefix,
or a session's or namespace's messages in a stream), counting what was there.

Erasing is not purging: a purged message stays in its block file until the block is compacted, while
a message deleted through the stream's MSG.DELETE API (without `no_erase`) is overwritten with random
bytes on disk at once. So every erasure deletes message by message.
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, KeyValueConfig, StreamConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.errors import Error as JetStreamError
from nats.js.kv import KeyValue

log = logging.getLogger("somnia.bus")
DELETE_NOT_PERMITTED = 10057  # the stream denies deletes (KV buckets nats-py creates itself do)


async def open_key_value(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    """The bucket, created with `config` when it does not exist yet. Unlike nats-py's own
    create_key_value, the bucket's stream allows message deletes, so erasure can overwrite values."""
    try:
        return await js.key_value(config.bucket)
    except BucketNotFoundError:
        pass
    duplicate_window = min(120.0, config.ttl) if config.ttl else 120.0
    await js.add_stream(
        StreamConfig(
            name=f"KV_{config.bucket}",
            description=config.description,
            subjects=[f"$KV.{config.bucket}.>"],
            allow_direct=config.direct,
            allow_rollup_hdrs=True,
            deny_delete=False,
            discard=DiscardPolicy.NEW,
            duplicate_window=duplicate_window,
            max_age=config.ttl,
            max_bytes=config.max_bytes,
            max_consumers=-1,
            max_msg_size=config.max_value_size,
            max_msgs=-1,
            max_msgs_per_subject=config.history,
            num_replicas=config.replicas,
            storage=config.storage,
        )
    )
    return await js.key_value(config.bucket)


def key_prefix_subject(bucket: str, prefix: str) -> tuple[str, str]:
    """The stream behind a bucket and the subject of its keys under `prefix.`."""
    return f"KV_{bucket}", f"$KV.{bucket}.{prefix}.>"


async def erase_subject(js: JetStreamContext, stream: str, subject: str) -> int:
    """Overwrite and remove every message of `stream` under `subject`; returns how many there were (0
    when the stream does not exist). A stream that denies deletes (a bucket made before erasable ones)
    is purged instead, and its bytes stay until NATS compacts the block: that is logged."""
    try:
        info = await js.stream_info(stream, subjects_filter=subject)
    except NotFoundError:
        return 0
    held = sum((info.state.subjects or {}).values())
    seq, erased = 1, 0
    while erased < held:
        try:
            msg = await js.get_msg(stream, seq=seq, subject=subject, next=True)
        except NotFoundError:
            break
        if msg.seq is None:
            break
        try:
            await js.delete_msg(stream, msg.seq)
        except JetStreamError as exc:
            if getattr(exc, "err_code", None) != DELETE_NOT_PERMITTED:
                raise
            log.warning(
                "stream %s denies message deletes: %s is purged, and stays on disk until NATS compacts the "
                "block (recreate the stream to make it erasable; see docs/security.md)",
                stream,
                subject,
            )
            await js.purge_stream(stream, subject=subject)
            return held
        erased += 1
        seq = msg.seq + 1
    return held


async def latest_values(js: JetStreamContext, stream: str, subject: str) -> dict[str, bytes]:
    """Each key's current value under `subject` in a bucket's stream (deleted keys left out), read
    message by message. nats-py's `keys()` and `watch()` would first look the stream up by name, which a
    service's NATS user may not do: it reaches only the streams and buckets it uses."""
    latest: dict[str, bytes | None] = {}
    seq = 1
    while True:
        try:
            msg = await js.get_msg(stream, seq=seq, subject=subject, next=True)
        except NotFoundError:
            break
        seq = (msg.seq or seq) + 1
        deleted = (msg.headers or {}).get("KV-Operation") in ("DEL", "PURGE")
        latest[msg.subject or ""] = None if deleted else msg.data
    return {key: value for key, value in latest.items() if value}
