"""The adapter registry: every adapter trained for a namespace, its base model, the memories inside it,
its metrics and its status, in a NATS KV bucket (file storage: it outlives restarts).

Forgetting reaches the weights here: erasing, retracting or superseding a memory marks every adapter
holding it `stale` (no longer advertised to serving engines, no longer saving recall's tokens), and the
caller schedules a retrain without it. Updates are compare-and-set on the key's revision, so two writers
(a finishing training and an erasure) never lose each other's change."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from somnia_bus import erase_subject, key_prefix_subject, latest_values, open_key_value
from somnia_contracts import ADAPTERS_BUCKET, namespace_key_prefix

# training: a job runs; live: served and advertised; stale: holds a memory that changed or was erased;
# failed: the job failed; retired: replaced by a newer live adapter.
AdapterStatus = Literal["training", "live", "stale", "failed", "retired"]
# An adapter in one of these holds memories that must not outlive their erasure.
HOLDING: frozenset[str] = frozenset({"training", "live"})


class AdapterRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    adapter_id: str
    version: int = Field(ge=1)
    base_model: str
    dataset_version: str
    memory_ids: tuple[str, ...]
    status: AdapterStatus = "training"
    # probe_accuracy_before/after, train_loss, seconds, peak_rss_mib, ...
    metrics: dict[str, float] = Field(default_factory=dict)
    artifact_uri: str = ""
    launcher: str = ""
    job_name: str = ""
    error: str = ""
    stale_reason: str = ""
    stale_memory_ids: tuple[str, ...] = ()
    created_at: AwareDatetime
    updated_at: AwareDatetime


@dataclass(frozen=True)
class Served:
    memory_ids: frozenset[str]
    applied: tuple[str, ...]  # the adapters asked for that were live


def adapter_key(namespace: str, adapter_id: str) -> str:
    return f"{namespace_key_prefix(namespace)}.{adapter_id}"


class AdapterRegistry:
    def __init__(self, js: JetStreamContext, *, bucket: str = ADAPTERS_BUCKET) -> None:
        self._js, self._bucket = js, bucket
        self._kv: KeyValue | None = None

    async def open(self) -> None:
        self._kv = await open_key_value(
            self._js,
            KeyValueConfig(bucket=self._bucket, history=1, storage=StorageType.FILE, description="LoRA adapters"),
        )

    @property
    def _bound(self) -> KeyValue:
        if self._kv is None:
            raise RuntimeError("AdapterRegistry.open() was not awaited")
        return self._kv

    async def put(self, record: AdapterRecord) -> None:
        await self._bound.put(adapter_key(record.namespace, record.adapter_id), record.model_dump_json().encode())

    async def get(self, namespace: str, adapter_id: str) -> AdapterRecord | None:
        try:
            entry = await self._bound.get(adapter_key(namespace, adapter_id))
        except KeyNotFoundError:
            return None
        return None if entry.value is None else AdapterRecord.model_validate_json(entry.value)

    async def adapters(self, namespace: str) -> list[AdapterRecord]:
        """The namespace's adapters, newest version first."""
        values = await latest_values(self._js, *key_prefix_subject(self._bucket, namespace_key_prefix(namespace)))
        records = [AdapterRecord.model_validate_json(data) for data in values.values()]
        return sorted(records, key=lambda r: -r.version)

    async def next_version(self, namespace: str) -> int:
        return max((r.version for r in await self.adapters(namespace)), default=0) + 1

    async def update(
        self, namespace: str, adapter_id: str, *, only_from: frozenset[str] | None = None, **changes: object
    ) -> AdapterRecord | None:
        """Change fields of one adapter by compare-and-set; None when it does not exist. With `only_from`,
        an adapter whose status is not among those is returned unchanged (a training that finishes after
        an erasure marked it stale must not make it live)."""
        key = adapter_key(namespace, adapter_id)
        for _ in range(20):
            try:
                entry = await self._bound.get(key)
            except KeyNotFoundError:
                return None
            if entry.value is None:
                return None
            record = AdapterRecord.model_validate_json(entry.value)
            if only_from is not None and record.status not in only_from:
                return record
            changed = record.model_copy(update={**changes, "updated_at": datetime.now(UTC)})
            try:
                await self._bound.update(key, changed.model_dump_json().encode(), last=entry.revision)
                return changed
            except KeyWrongLastSequenceError:
                await asyncio.sleep(0.01)  # another writer got there first: read it again
        raise RuntimeError(f"adapter {adapter_id} kept changing under 20 updates; try again")

    async def mark_stale(self, namespace: str, memory_ids: Iterable[str], reason: str) -> list[AdapterRecord]:
        """Every training or live adapter of the namespace holding any of `memory_ids` becomes stale;
        returns those it changed (an adapter already stale is left as it was)."""
        wanted = set(memory_ids)
        changed: list[AdapterRecord] = []
        for record in await self.adapters(namespace):
            held = sorted(wanted.intersection(record.memory_ids))
            if record.status not in HOLDING or not held:
                continue
            done = await self.update(
                namespace,
                record.adapter_id,
                only_from=HOLDING,
                status="stale",
                stale_reason=reason,
                stale_memory_ids=tuple(held),
            )
            if done is not None and done.status == "stale":
                changed.append(done)
        return changed

    async def live(self, namespace: str) -> list[AdapterRecord]:
        return [r for r in await self.adapters(namespace) if r.status == "live"]

    async def served(self, namespace: str, adapter_ids: Sequence[str]) -> Served:
        """The memories that live adapters the caller runs already carry: recall and the warm pack leave
        them out. An adapter that is not live (stale, retired, unknown) saves nothing."""
        memory_ids: set[str] = set()
        applied: list[str] = []
        for adapter_id in sorted(set(adapter_ids)):
            record = await self.get(namespace, adapter_id)
            if record is not None and record.status == "live":
                memory_ids.update(record.memory_ids)
                applied.append(adapter_id)
        return Served(frozenset(memory_ids), tuple(applied))

    async def erase_namespace(self, namespace: str) -> int:
        """Forget every adapter record of a namespace (the namespace's erasure); returns how many."""
        return await erase_subject(self._js, *key_prefix_subject(self._bucket, namespace_key_prefix(namespace)))


def serving_manifest(namespace: str, records: Sequence[AdapterRecord]) -> dict[str, object]:
    """What a LoRA-serving engine (vLLM with runtime LoRA updating, or any engine that loads adapters by
    name and path) needs to hot-load the namespace's current adapter: only live adapters are listed, so
    an adapter marked stale drops out of the next poll. See docs/parametric.md."""
    live = sorted((r for r in records if r.status == "live"), key=lambda r: -r.version)
    return {
        "namespace": namespace,
        "adapters": [
            {
                "lora_name": f"somnia-{namespace_key_prefix(namespace)}-v{r.version}",
                "lora_path": r.artifact_uri,
                "adapter_id": r.adapter_id,
                "base_model": r.base_model,
                "version": r.version,
                "memories": len(r.memory_ids),
            }
            for r in live
        ],
        "current": live[0].adapter_id if live else "",
    }
