"""Where a run's progress is kept, so a run interrupted half-way resumes after its last finished job.

On NATS KV for services (any replica or CronJob pod can resume any run), in process for a run with no
bus (benchmarks, tests of the jobs). Keys are `<namespace digest>.<run digest>`: KV keys allow fewer
characters than namespaces, and a namespace's runs share one prefix so they can be erased together.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Protocol

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from somnia_bus import open_key_value
from somnia_contracts import namespace_key_prefix

from somnia_dreaming.models import DreamRunState

RUN_TTL_S = 30 * 24 * 3600.0


def run_key(namespace: str, run_id: str) -> str:
    return f"{namespace_key_prefix(namespace)}.{hashlib.sha256(run_id.encode()).hexdigest()[:24]}"


class RunCheckpoints(Protocol):
    async def get(self, namespace: str, run_id: str) -> DreamRunState | None: ...

    async def put(self, state: DreamRunState) -> None: ...


class InProcessCheckpoints:
    """Checkpoints that live as long as the process: for runs without a bus."""

    def __init__(self) -> None:
        self._states: dict[str, DreamRunState] = {}

    async def get(self, namespace: str, run_id: str) -> DreamRunState | None:
        return self._states.get(run_key(namespace, run_id))

    async def put(self, state: DreamRunState) -> None:
        self._states[run_key(state.namespace, state.run_id)] = state


class KvCheckpoints:
    def __init__(self, js: JetStreamContext, *, bucket: str) -> None:
        self._js = js
        self._bucket = bucket
        self._kv: KeyValue | None = None

    async def open(self) -> None:
        self._kv = await open_key_value(self._js, KeyValueConfig(bucket=self._bucket, ttl=RUN_TTL_S, history=1))

    @property
    def _bound(self) -> KeyValue:
        if self._kv is None:
            raise RuntimeError("KvCheckpoints.open() was not awaited")
        return self._kv

    async def get(self, namespace: str, run_id: str) -> DreamRunState | None:
        try:
            entry = await self._bound.get(run_key(namespace, run_id))
        except KeyNotFoundError:
            return None
        if entry.value is None:
            return None
        return DreamRunState.model_validate_json(zlib.decompress(entry.value))

    async def put(self, state: DreamRunState) -> None:
        await self._bound.put(run_key(state.namespace, state.run_id), zlib.compress(state.model_dump_json().encode()))
