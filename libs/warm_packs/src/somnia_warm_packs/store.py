"""Warm packs in a NATS KV bucket with a TTL: cache-warming puts them, recall's WarmCache gets them."""

from __future__ import annotations

import hashlib
import zlib

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from somnia_bus import erase_subject, key_prefix_subject, open_key_value
from somnia_contracts import namespace_key_prefix

from somnia_warm_packs.models import WarmPack

# A pack of 128k tokens is about half a megabyte of JSON; compressed it stays far below NATS's 1 MB.
MAX_VALUE_BYTES = 1024 * 1024


def pack_key(namespace: str, session_id: str) -> str:
    """KV keys allow fewer characters than namespaces and session ids do, so the key is digests; a
    namespace's packs share the first token, so erasing a namespace's memories can purge them all."""
    session = hashlib.sha256(f"{namespace}\x00{session_id}".encode()).hexdigest()[:24]
    return f"{namespace_key_prefix(namespace)}.{session}"


class WarmPackStore:
    def __init__(self, js: JetStreamContext, *, bucket: str, ttl_s: float) -> None:
        self._js = js
        self._bucket = bucket
        self._ttl_s = ttl_s
        self._kv: KeyValue | None = None

    async def open(self) -> None:
        """Bind to the bucket, creating it (with its TTL) if it does not exist yet. Packs are a cache held
        in memory only: a replaced revision quoting memories never sits in a block file, where erasure
        could not reach it (a restart loses the packs; they are rebuilt on the next WarmCache)."""
        self._kv = await open_key_value(
            self._js,
            KeyValueConfig(
                bucket=self._bucket,
                ttl=self._ttl_s,
                history=1,
                max_value_size=MAX_VALUE_BYTES,
                storage=StorageType.MEMORY,
            ),
        )

    @property
    def _bound(self) -> KeyValue:
        if self._kv is None:
            raise RuntimeError("WarmPackStore.open() was not awaited")
        return self._kv

    async def put(self, pack: WarmPack) -> str:
        key = pack_key(pack.namespace, pack.session_id)
        await self._bound.put(key, zlib.compress(pack.model_dump_json().encode(), 6))
        return key

    async def get(self, namespace: str, session_id: str) -> WarmPack | None:
        try:
            entry = await self._bound.get(pack_key(namespace, session_id))
        except KeyNotFoundError:
            return None
        if entry.value is None:
            return None
        return WarmPack.model_validate_json(zlib.decompress(entry.value))

    async def delete(self, namespace: str, session_id: str) -> None:
        await self._bound.delete(pack_key(namespace, session_id))

    async def erase_namespace(self, namespace: str) -> int:
        """Remove every pack of a namespace, old revisions included (a pack may quote any memory of
        its namespace, so forgetting one memory invalidates them all); returns how many were held."""
        return await erase_subject(self._js, *key_prefix_subject(self._bucket, namespace_key_prefix(namespace)))
