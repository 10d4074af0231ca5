"""A reindex on Weaviate: the new model's vectors go into a new collection beside the serving one, which
keeps answering until the swap. What still needs copying is found by a sweep that compares the two
collections object by object (a fingerprint of every property but the embedder), so a run resumes
where the last one stopped and catches what was written, changed or deleted meanwhile.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter
from weaviate.classes.tenants import Tenant
from weaviate.client import WeaviateAsyncClient

from somnia_memory_store.ports import StoreError
from somnia_memory_store.weaviate.keywords import index_terms

COPY_PAGE = 500  # objects fetched by id in one query
DELETE_PAGE = 1000  # ids per batch delete (Weaviate caps one at QUERY_MAXIMUM_RESULTS, 10,000 by default)


@dataclass(frozen=True)
class Pending:
    """One object still to be embedded for the target: where it is and the text to embed."""

    tenant: str
    object_id: uuid.UUID
    text: str


@dataclass
class Sweep:
    """What one comparison of the two collections found: the objects to (re-)embed, in a fixed order
    (a reindex pages through it by position), and how many the serving collection holds."""

    pending: list[Pending] = field(default_factory=list)
    total: int = 0
    written: int = 0
    started_at: float = field(default_factory=time.time)  # wall clock, as the seal's time is

    @property
    def done(self) -> int:
        return self.total - len(self.pending) + self.written


def fingerprint(properties: Mapping[str, Any], names: Sequence[str]) -> bytes:
    """A digest of what a copy must match: an object whose text or status changed since it was copied
    differs; the embedder, which the copy changes on purpose, is not part of it."""
    return hashlib.blake2b(repr([properties.get(n) for n in names]).encode(), digest_size=16).digest()


async def tenants_of(client: WeaviateAsyncClient, collection: str) -> list[str]:
    return sorted(await client.collections.use(collection).tenants.get())


async def count_all(client: WeaviateAsyncClient, collection: str) -> int:
    """Objects in every tenant of a collection."""
    objects = client.collections.use(collection)
    total = 0
    for tenant in await tenants_of(client, collection):
        result = await objects.with_tenant(tenant).aggregate.over_all(total_count=True)
        total += int(result.total_count or 0)
    return total


async def listing(
    client: WeaviateAsyncClient, collection: str, tenant: str, names: Sequence[str]
) -> dict[uuid.UUID, tuple[bytes, str]]:
    """Every object of one tenant: its fingerprint and text."""
    found: dict[uuid.UUID, tuple[bytes, str]] = {}
    objects = client.collections.use(collection).with_tenant(tenant)
    async for obj in objects.iterator(return_properties=list(names)):
        found[obj.uuid] = (fingerprint(obj.properties, names), str(obj.properties.get("text") or ""))
    return found


async def sweep(client: WeaviateAsyncClient, source: str, target: str, names: Sequence[str]) -> Sweep:
    """Compare `target` with `source`: objects missing from the target or different in it are pending;
    objects the source no longer has are deleted from the target now (a Forget during the reindex),
    and so are tenants the source no longer has (a namespace scrubbed meanwhile)."""
    result = Sweep()
    source_tenants = await tenants_of(client, source)
    target_tenants = set(await tenants_of(client, target))
    gone = sorted(target_tenants - set(source_tenants))
    if gone:
        await client.collections.use(target).tenants.remove(gone)
    for tenant in source_tenants:
        have = await listing(client, source, tenant, names)
        copied = await listing(client, target, tenant, names) if tenant in target_tenants else {}
        result.total += len(have)
        for object_id, (print_, text) in have.items():
            if copied.get(object_id, (b"", ""))[0] != print_:
                result.pending.append(Pending(tenant, object_id, text))
        stale = [object_id for object_id in copied if object_id not in have]
        copies = client.collections.use(target).with_tenant(tenant)
        for start in range(0, len(stale), DELETE_PAGE):
            deleted = await copies.data.delete_many(
                where=Filter.by_id().contains_any(stale[start : start + DELETE_PAGE])
            )
            if deleted.failed:
                # A memory forgotten during the reindex must not survive in the copy: no switch until it is gone.
                raise StoreError(f"Weaviate could not delete {deleted.failed} forgotten memories from {target}")
    return result


async def copy(
    client: WeaviateAsyncClient,
    source: str,
    target: str,
    embedder: str,
    items: Sequence[Pending],
    vectors: npt.NDArray[np.float32],
    names: Sequence[str],
) -> int:
    """Write each item into the target with its new vector and the source object's current properties,
    when the source still holds the text that was embedded (one changed meanwhile is left for the next
    sweep). Returns how many were written."""
    by_tenant: dict[str, list[tuple[Pending, npt.NDArray[np.float32]]]] = {}
    for item, vector in zip(items, vectors, strict=True):
        by_tenant.setdefault(item.tenant, []).append((item, vector))
    target_collection = client.collections.use(target)
    have_tenants = set(await target_collection.tenants.get())
    written = 0
    for tenant, group in by_tenant.items():
        if tenant not in have_tenants:
            await target_collection.tenants.create([Tenant(name=tenant)])
        for start in range(0, len(group), COPY_PAGE):
            page = group[start : start + COPY_PAGE]
            current = (
                await client.collections.use(source)
                .with_tenant(tenant)
                .query.fetch_objects(
                    filters=Filter.by_id().contains_any([item.object_id for item, _ in page]),
                    limit=len(page),
                    return_properties=list(names),
                )
            )
            now = {obj.uuid: obj.properties for obj in current.objects}
            objects = [
                DataObject(
                    uuid=item.object_id,
                    vector=np.asarray(vector, dtype=np.float32).tolist(),
                    properties={**now[item.object_id], "embedder": embedder, "keywords": index_terms(item.text)},
                )
                for item, vector in page
                if item.object_id in now and now[item.object_id].get("text") == item.text
            ]
            if not objects:
                continue
            result = await target_collection.with_tenant(tenant).data.insert_many(objects)
            if result.errors:
                sample = "; ".join(e.message for e in list(result.errors.values())[:3])
                raise StoreError(f"Weaviate refused {len(result.errors)} reindexed object(s) in {target}: {sample}")
            written += len(objects)
    return written
