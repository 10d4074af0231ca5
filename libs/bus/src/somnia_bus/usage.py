"""The usage board: each namespace's last measured memory count, in a NATS KV bucket.

Writers put what they counted; capture reads it to enforce storage quotas. A figure that is missing or
unreadable is "not measured yet", never a reason to refuse a write."""

from __future__ import annotations

import asyncio

from faststream.nats import NatsBroker
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError
from somnia_contracts import USAGE_BUCKET, NamespaceUsage, usage_key

from somnia_bus.kv import open_key_value


class UsageBoard:
    """On a broker's connection, opened on first use (so it can be made before the broker connects)."""

    def __init__(self, broker: NatsBroker) -> None:
        self._broker = broker
        self._kv: KeyValue | None = None
        self._opening = asyncio.Lock()

    async def _bucket(self) -> KeyValue:
        async with self._opening:
            if self._kv is None:
                self._kv = await open_key_value(
                    self._broker.connection.jetstream(),
                    KeyValueConfig(bucket=USAGE_BUCKET, history=1, description="memories per namespace"),
                )
            return self._kv

    async def put(self, usage: NamespaceUsage) -> None:
        kv = await self._bucket()
        await kv.put(usage_key(usage.namespace), usage.model_dump_json().encode())

    async def read(self, namespace: str) -> NamespaceUsage | None:
        kv = await self._bucket()
        try:
            entry = await kv.get(usage_key(namespace))
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        try:
            usage = NamespaceUsage.model_validate_json(entry.value)
        except ValidationError:
            return None
        # The key is a hash prefix: make sure it is this namespace's figure.
        return usage if usage.namespace == namespace else None
