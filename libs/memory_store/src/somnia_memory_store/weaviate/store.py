"""The memory store on Weaviate (client v4, async): one multi-tenant collection with an explicit
schema, one tenant per namespace, our own vectors.

Hybrid search runs Weaviate's vector (near_vector, cosine) and BM25 queries and fuses them with the
same relative score fusion as the embedded store, so both adapters rank alike and every hit keeps its
per-retriever scores and ranks. Tenant names are derived from a hash of the namespace (namespaces may
be longer than a tenant name and contain '/'); the namespace itself is a property of every object.
`somnia reindex` moves the store to another embedder through a new collection beside the serving one
(reindexing.py); which collection serves is in the meta object (meta.py), which every process follows.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import httpx
import numpy as np
import numpy.typing as npt
import weaviate
from weaviate.classes.config import Configure, DataType, Property, StopwordsPreset, Tokenization, VectorDistances
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter, MetadataQuery, Sort
from weaviate.classes.tenants import Tenant
from weaviate.collections.classes.filters import _Filters
from weaviate.exceptions import WeaviateBaseError

from somnia_memory_store.fusion import relative_score_fusion
from somnia_memory_store.models import MemoryRecord, ReindexProgress, SearchFilter, SearchHit
from somnia_memory_store.ports import EmbedderMismatchError, ReindexError, StoreError, UpsertError
from somnia_memory_store.weaviate import reindexing
from somnia_memory_store.weaviate.keywords import index_terms, query_terms
from somnia_memory_store.weaviate.meta import META_ID, META_PROPERTIES, StoreState

ID_NAMESPACE = uuid.UUID("2f4b8d1e-59a3-4a3e-8c1d-0f6e9b7a2c44")
REWRITE_CONCURRENCY = 16  # parallel deletes when a retried batch is rewritten
CLIENT_RETRY_S = 1.0  # the weaviate client sleeps this long before its first retry of a batch
STATE_TTL_S = 1.0  # how stale a reader's idea of the serving collection may be (writers read it each write)
RETIRE_AFTER_S = 3 * STATE_TTL_S  # a swapped-out collection is removed once every reader has moved off it
log = logging.getLogger(__name__)

PROPERTIES = [
    Property(name="memory_id", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="namespace", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="kind", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="status", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
    Property(name="session_id", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="turn_id", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="role", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
    Property(name="chunk_index", data_type=DataType.INT),
    Property(name="occurred_at", data_type=DataType.DATE),
    Property(name="recorded_at", data_type=DataType.DATE),
    Property(name="embedder", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False),
]
# BM25 reads this one: the text's words stemmed as the embedded store stems them (keywords.py).
KEYWORDS = Property(
    name="keywords", data_type=DataType.TEXT, tokenization=Tokenization.WHITESPACE, index_filterable=False
)
# In a collection with `keywords`, nothing searches or filters the text itself: it is not indexed.
NEW_COLLECTION = [
    *(
        Property(name="text", data_type=DataType.TEXT, index_searchable=False, index_filterable=False)
        if p.name == "text"
        else p
        for p in PROPERTIES
    ),
    KEYWORDS,
]


# What a reindexed copy must match in the serving collection: every property but the embedder.
FINGERPRINT = [p.name for p in PROPERTIES if p.name != "embedder"]
SEALED = (
    "the store is switching to the collection a reindex built (one last sweep of it); the write is refused "
    "so that nothing is lost in the switch: try it again"
)

P = ParamSpec("P")
R = TypeVar("R")


def translated(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Weaviate's own errors leave the adapter as StoreError, so callers handle one type."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except WeaviateBaseError as exc:
            raise StoreError(f"Weaviate failed in {method.__name__}: {exc}") from exc

    return wrapper


def already_exists(exc: WeaviateBaseError) -> bool:
    return "already exists" in str(exc).lower()


def tenant_name(namespace: str) -> str:
    return "ns" + hashlib.sha256(namespace.encode()).hexdigest()[:40]


def object_id(memory_id: str) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, memory_id)


def to_filter(filter: SearchFilter | None) -> _Filters | None:
    if filter is None:
        return None
    parts: list[_Filters] = []
    for name, values in (
        ("session_id", filter.session_ids),
        ("role", filter.roles),
        ("kind", filter.kinds),
        ("status", filter.statuses),
    ):
        if values:
            parts.append(Filter.by_property(name).contains_any(list(values)))
    if filter.occurred_after is not None:
        parts.append(Filter.by_property("occurred_at").greater_or_equal(filter.occurred_after))
    if filter.occurred_before is not None:
        parts.append(Filter.by_property("occurred_at").less_or_equal(filter.occurred_before))
    if filter.recorded_before is not None:
        parts.append(Filter.by_property("recorded_at").less_or_equal(filter.recorded_before))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Filter.all_of(parts)


class WeaviateMemoryStore:
    def __init__(
        self,
        *,
        http_host: str,
        http_port: int,
        grpc_host: str,
        grpc_port: int,
        collection: str = "SomniaMemory",
        candidates: int = 50,
        api_key: str = "",
    ) -> None:
        auth = weaviate.auth.AuthApiKey(api_key) if api_key else None
        self._client = weaviate.use_async_with_custom(
            http_host=http_host,
            http_port=http_port,
            http_secure=False,
            grpc_host=grpc_host,
            grpc_port=grpc_port,
            grpc_secure=False,
            auth_credentials=auth,
            # The client's own start-up checks include a call to a package index for its latest
            # version; a cluster without internet would stall on it. Readiness is checked below.
            skip_init_checks=True,
        )
        # `collection` names the store: its meta collection, and its first memory collection. A reindex
        # serves from another one (`_name`), recorded in the meta object.
        self._base = collection
        self._name = collection
        self._meta = f"{collection}Meta"
        self._state = StoreState(collection=collection)
        self._state_read_at = float("-inf")
        self._sweep: reindexing.Sweep | None = None
        # reindex_begin's sweep serves the caller's first pass: at 100,000 memories a sweep reads both
        # collections whole, so it is not done twice in a row.
        self._sweep_unread = False
        self._candidates = candidates
        self._tenants: set[str] = set()
        self._ready = False
        self._start_lock = asyncio.Lock()
        self._address = f"{http_host}:{http_port}"
        self._api_key = api_key
        self._keyword_property = KEYWORDS.name

    async def _connected(self) -> None:
        if not self._ready:
            await self._start()
        elif time.monotonic() - self._state_read_at > STATE_TTL_S:
            await self._read_state()

    async def _start(self) -> None:
        async with self._start_lock:
            if self._ready:
                return
            try:
                await self._client.connect()
                if not await self._client.is_ready():
                    raise StoreError(f"Weaviate at {self._address} is not ready")
                if not await self._client.collections.exists(self._meta):
                    await self._create(
                        self._meta, properties=META_PROPERTIES, vector_config=Configure.Vectors.self_provided()
                    )
                await self._add_missing_meta_properties()
                state = await self._read_state(apply=False)
                if not await self._client.collections.exists(state.collection):
                    await self._create_memory_collection(state.collection)
                await self._serve(state)
            except WeaviateBaseError as exc:
                raise StoreError(f"Weaviate at {self._address} is not usable: {exc}") from exc
            self._ready = True

    async def _create_memory_collection(self, name: str) -> None:
        await self._create(
            name,
            properties=NEW_COLLECTION,
            vector_config=Configure.Vectors.self_provided(
                vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
            ),
            # The query brings no stop words (keywords.query_terms), and a stem may look like
            # one ("ones" -> "on"): Weaviate must not drop any.
            inverted_index_config=Configure.inverted_index(stopwords_preset=StopwordsPreset.NONE),
            multi_tenancy_config=Configure.multi_tenancy(enabled=True, auto_tenant_creation=True),
        )

    async def _add_missing_meta_properties(self) -> None:
        meta = self._client.collections.use(self._meta)
        have = {p.name for p in (await meta.config.get()).properties}
        for prop in META_PROPERTIES:
            if prop.name not in have:
                try:
                    await meta.config.add_property(prop)
                except WeaviateBaseError as exc:  # another process starting at the same time added it
                    if not already_exists(exc):
                        raise

    async def _read_state(self, *, apply: bool = True) -> StoreState:
        """The meta object as it is now; with `apply`, this process serves from the collection it names."""
        self._state_read_at = time.monotonic()  # set first: concurrent callers do not all read
        found = await self._client.collections.use(self._meta).query.fetch_object_by_id(META_ID)
        state = StoreState.read(dict(found.properties) if found is not None else None, self._base)
        if apply:
            await self._serve(state)
        return state

    async def _serve(self, state: StoreState) -> None:
        if state.collection != self._name or not self._ready:
            if state.collection != self._name:
                log.warning("Weaviate store %s now serves from collection %s", self._base, state.collection)
            self._name = state.collection
            self._tenants.clear()
            await self._add_missing_properties()
            await self._check_keyword_index()
        self._state = state

    async def _write_state(self, state: StoreState) -> None:
        meta = self._client.collections.use(self._meta)
        if state.exists:
            await meta.data.replace(uuid=META_ID, properties=state.properties())
        else:
            await meta.data.insert(state.properties(), uuid=META_ID)

    async def _create(self, name: str, **config: Any) -> None:
        """Create a collection; another process creating it first (both start at once) is fine."""
        try:
            await self._client.collections.create(name, **config)
        except WeaviateBaseError as exc:
            if not already_exists(exc):
                raise

    async def _add_missing_properties(self) -> None:
        """A collection made by an older version gains the properties added since (additive only), but
        not `keywords`: its older objects would have none and BM25 would never find them. Such a
        collection keeps searching its unstemmed `text`."""
        collection = self._client.collections.use(self._name)
        config = await collection.config.get()
        have = {p.name for p in config.properties}
        for prop in PROPERTIES:
            if prop.name not in have:
                await collection.config.add_property(prop)
        self._keyword_property = KEYWORDS.name if KEYWORDS.name in have else "text"
        if self._keyword_property == "text":
            log.warning(
                "Weaviate collection %s predates stemmed keywords: its keyword search matches whole words only "
                "and ranks below the embedded store's; re-import into a new collection to fix it",
                self._name,
            )

    async def _check_keyword_index(self) -> None:
        """Weaviate 1.36's default BM25 index (BlockMax WAND) missed most of the right answers on LoCoMo
        (keyword recall@10 0.07 against 0.55 with the classic index: docs/backends.md). The server
        chooses per collection at creation, from its USE_INVERTED_SEARCHABLE setting."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            async with httpx.AsyncClient(timeout=10.0) as http:
                response = await http.get(f"http://{self._address}/v1/schema/{self._name}", headers=headers)
                response.raise_for_status()
            config = response.json().get("invertedIndexConfig", {})
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("could not read the index settings of Weaviate collection %s: %s", self._name, exc)
            return
        if config.get("usingBlockMaxWAND"):
            log.error(
                "Weaviate collection %s uses BlockMax WAND for BM25, which loses most keyword matches in this "
                "Weaviate version: start Weaviate with USE_INVERTED_SEARCHABLE=false and re-create the collection",
                self._name,
            )

    def _tenant(self, namespace: str) -> Any:
        return self._client.collections.use(self._name).with_tenant(tenant_name(namespace))

    async def _has_tenant(self, namespace: str) -> bool:
        name = tenant_name(namespace)
        if name in self._tenants:
            return True
        exists = await self._client.collections.use(self._name).tenants.exists(name)
        if exists:
            self._tenants.add(name)
        return bool(exists)

    @translated
    async def check_embedder(self, name: str, dimension: int) -> None:
        await self._connected()
        await self._checked_state(name, dimension)

    async def _checked_state(self, name: str, dimension: int) -> StoreState:
        """The state read now, with its embedder set on the first write; a mismatch is an error."""
        state = await self._read_state()
        if state.embedder is None:
            try:
                await self._write_state(replace(state, embedder=name, dimension=dimension))
            except WeaviateBaseError as exc:
                if not already_exists(exc):
                    raise
            state = await self._read_state()
        have = (state.embedder, state.dimension)
        if have != (name, dimension):
            raise EmbedderMismatchError(
                f"the Weaviate store {self._base} holds vectors from {have[0]} ({have[1]} dims) but the "
                f"configured embedder is {name} ({dimension} dims). Configure the store's embedder, or move the "
                "store to this one with `somnia reindex --embedder`; mixing models in one index would make "
                "every similarity meaningless."
            )
        return state

    @translated
    async def upsert(self, records: Sequence[MemoryRecord], *, rewrite: bool = False) -> None:
        if not records:
            return
        embedders = {(r.embedder, int(r.vector.shape[0])) for r in records}
        if len(embedders) != 1:
            raise EmbedderMismatchError(f"one upsert mixes vectors of several embedders: {sorted(embedders)}")
        await self._connected()
        state = await self._checked_state(*next(iter(embedders)))
        if state.sealed():
            raise StoreError(SEALED)
        by_namespace: dict[str, list[MemoryRecord]] = {}
        for record in records:
            by_namespace.setdefault(record.namespace, []).append(record)
        failed: dict[str, str] = {}
        for namespace, group in by_namespace.items():
            if not await self._has_tenant(namespace):
                await self._client.collections.use(self._name).tenants.create([Tenant(name=tenant_name(namespace))])
                self._tenants.add(tenant_name(namespace))
            if rewrite:
                await self._remove_objects(namespace, [r.memory_id for r in group])
            objects = [
                DataObject(
                    uuid=object_id(r.memory_id),
                    vector=np.asarray(r.vector, dtype=np.float32).tolist(),
                    properties={
                        "memory_id": r.memory_id,
                        "namespace": r.namespace,
                        "kind": r.kind,
                        "status": r.status,
                        "text": r.text,
                        "session_id": r.session_id,
                        "turn_id": r.turn_id,
                        "role": r.role,
                        "chunk_index": r.chunk_index,
                        "occurred_at": r.occurred_at,
                        "recorded_at": r.recorded_at,
                        "embedder": r.embedder,
                        **({KEYWORDS.name: index_terms(r.text)} if self._keyword_property == KEYWORDS.name else {}),
                    },
                )
                for r in group
            ]
            try:
                started = time.monotonic()
                result = await self._tenant(namespace).data.insert_many(objects)
                if time.monotonic() - started >= CLIENT_RETRY_S:
                    await self._repair_unfindable(namespace, group, objects)
            except WeaviateBaseError as exc:
                raise StoreError(f"Weaviate at {self._address} refused a batch of {len(objects)}: {exc}") from exc
            for index, error in result.errors.items():
                failed[group[index].memory_id] = error.message
        after = await self._read_state()
        if after.sealed() or after.collection != state.collection:
            # The swap began while this batch was written: the final sweep may not have seen it. Retried, it
            # is written after the swap, into the collection that serves then.
            raise StoreError(SEALED)
        if failed:
            raise UpsertError(failed)

    async def _repair_unfindable(
        self, namespace: str, group: list[MemoryRecord], objects: list[DataObject[dict[str, object], None]]
    ) -> None:
        """The client retries a batch the server dropped (UNAVAILABLE) by itself, after at least a
        second's sleep, and the dropped attempt may have stored objects it never indexed (the retry then
        skipped them as unchanged). After a batch that slow, what a lookup by memory id cannot find is
        written anew; what it finds is left alone, so no caller's record is ever deleted on a guess."""
        missing = {r.memory_id for r in group} - await self._findable(namespace, [r.memory_id for r in group])
        if not missing:
            return
        log.warning("%d of a batch of %d were stored but not indexed: writing them anew", len(missing), len(group))
        await self._remove_objects(namespace, sorted(missing))
        again = [o for r, o in zip(group, objects, strict=True) if r.memory_id in missing]
        await self._tenant(namespace).data.insert_many(again)
        still = missing - await self._findable(namespace, sorted(missing))
        if still:
            raise StoreError(f"{len(still)} memories stayed unindexed after a rewrite; the batch is retried")

    async def _findable(self, namespace: str, memory_ids: Sequence[str]) -> set[str]:
        """The ids a lookup by memory id finds (through the property index; no vectors read)."""
        result = await self._tenant(namespace).query.fetch_objects(
            filters=Filter.by_property("memory_id").contains_any(list(memory_ids)),
            limit=len(memory_ids),
            return_properties=["memory_id"],
        )
        return {str(o.properties["memory_id"]) for o in result.objects}

    async def _remove_objects(self, namespace: str, memory_ids: Sequence[str]) -> None:
        """Delete by object id, one request each. Weaviate skips re-indexing an object written again
        unchanged, so one that a killed node stored but never finished indexing (its filter and BM25
        entries lost with the WAL's unflushed tail) stays invisible to filters for good unless it is
        removed and written anew. A filtered `delete_many` would miss exactly those objects. A failed
        delete cancels the others before the error leaves: none may land after the retry's insert."""
        data = self._tenant(namespace).data
        gate = asyncio.Semaphore(REWRITE_CONCURRENCY)

        async def remove(memory_id: str) -> None:
            async with gate:
                await data.delete_by_id(object_id(memory_id))

        try:
            async with asyncio.TaskGroup() as tasks:
                for memory_id in memory_ids:
                    tasks.create_task(remove(memory_id))
        except ExceptionGroup as failures:
            first = failures.exceptions[0]
            raise StoreError(f"Weaviate at {self._address} failed a delete before a rewrite: {first}") from failures

    def _record(self, obj: Any) -> MemoryRecord:
        p = obj.properties
        vector = obj.vector.get("default") if isinstance(obj.vector, dict) else obj.vector
        return MemoryRecord(
            memory_id=str(p["memory_id"]),
            namespace=str(p["namespace"]),
            kind=str(p["kind"]),
            status=str(p.get("status") or "asserted"),
            text=str(p["text"]),
            session_id=str(p["session_id"]),
            turn_id=str(p["turn_id"]),
            role=str(p["role"]),
            chunk_index=int(p["chunk_index"]),
            occurred_at=_aware(p["occurred_at"]),
            recorded_at=_aware(p["recorded_at"]),
            embedder=str(p["embedder"]),
            vector=np.asarray(vector or [], dtype=np.float32),
        )

    @translated
    async def get(self, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]:
        await self._connected()
        if not memory_ids or not await self._has_tenant(namespace):
            return []
        result = await self._tenant(namespace).query.fetch_objects(
            filters=Filter.by_property("memory_id").contains_any(list(memory_ids)),
            limit=len(memory_ids),
            include_vector=True,
        )
        by_id = {r.memory_id: r for r in (self._record(o) for o in result.objects)}
        return [by_id[i] for i in memory_ids if i in by_id]

    @translated
    async def scan(
        self, namespace: str, filter: SearchFilter | None = None, *, after: str = "", limit: int = 500
    ) -> list[MemoryRecord]:
        await self._connected()
        if not await self._has_tenant(namespace):
            return []
        where = Filter.by_property("memory_id").greater_than(after)
        scoped = to_filter(filter)
        result = await self._tenant(namespace).query.fetch_objects(
            filters=where if scoped is None else where & scoped,
            sort=Sort.by_property("memory_id"),
            limit=limit,
            include_vector=True,
        )
        return [self._record(o) for o in result.objects]

    @translated
    async def count(self, namespace: str) -> int:
        await self._connected()
        if not await self._has_tenant(namespace):
            return 0
        result = await self._tenant(namespace).aggregate.over_all(total_count=True)
        return int(result.total_count or 0)

    async def move(self, namespace: str, to_namespace: str, memory_ids: Sequence[str]) -> int:
        # Tenants are separate shards: copy, then delete (a crash between leaves both, never neither).
        moved = 0
        for start in range(0, len(memory_ids), 500):
            records = await self.get(namespace, memory_ids[start : start + 500])
            if records:
                await self.upsert([r.model_copy(update={"namespace": to_namespace}) for r in records])
                moved += await self.delete(namespace, [r.memory_id for r in records])
        return moved

    @translated
    async def delete(self, namespace: str, memory_ids: Sequence[str]) -> int:
        await self._connected()
        if not memory_ids:
            return 0
        state = await self._read_state()  # read now: a reindex's copy must lose these too
        where = Filter.by_property("memory_id").contains_any(list(memory_ids))
        for copies in await self._other_collections(state):
            if await copies.tenants.exists(tenant_name(namespace)):
                await copies.with_tenant(tenant_name(namespace)).data.delete_many(where=where)
        if not await self._has_tenant(namespace):
            return 0
        result = await self._tenant(namespace).data.delete_many(where=where)
        return int(result.successful)

    @translated
    async def scrub(self, namespace: str) -> None:
        """An emptied namespace's tenant is removed, and Weaviate deletes its shard's files with it. In a
        namespace that keeps data, deleted objects leave the disk when Weaviate compacts the tenant's LSM
        segments (docs/security.md says when, and how an operator forces it)."""
        await self._connected()
        if await self._has_tenant(namespace) and await self.count(namespace) == 0:
            await self._client.collections.use(self._name).tenants.remove([tenant_name(namespace)])
            self._tenants.discard(tenant_name(namespace))
        # A reindex's copy of an emptied namespace goes too (its next sweep would remove it anyway).
        state = await self._read_state()
        if not await self._has_tenant(namespace):
            for copies in await self._other_collections(state):
                if await copies.tenants.exists(tenant_name(namespace)):
                    await copies.tenants.remove([tenant_name(namespace)])

    async def _other_collections(self, state: StoreState) -> list[Any]:
        """A reindex's copy in progress, and a collection a switch retired but a stopped run did not remove
        yet: a Forget reaches them too, so no copy of a forgotten memory outlives it anywhere."""
        names = sorted(n for n in {state.reindex_collection, state.retired} if n and n != self._name)
        return [self._client.collections.use(n) for n in names if await self._client.collections.exists(n)]

    async def _vector_ranked(
        self, namespace: str, vector: npt.NDArray[np.float32], k: int, filter: SearchFilter | None
    ) -> list[tuple[str, float, MemoryRecord]]:
        result = await self._tenant(namespace).query.near_vector(
            near_vector=np.asarray(vector, dtype=np.float32).tolist(),
            limit=k,
            filters=to_filter(filter),
            return_metadata=MetadataQuery(distance=True),
            include_vector=True,
        )
        # Cosine distance is 1 - cosine similarity.
        return [
            (str(o.properties["memory_id"]), 1.0 - float(o.metadata.distance), self._record(o)) for o in result.objects
        ]

    async def _keyword_ranked(
        self, namespace: str, query: str, k: int, filter: SearchFilter | None
    ) -> list[tuple[str, float, MemoryRecord]]:
        if self._keyword_property == KEYWORDS.name:
            query = query_terms(query)
        if not query.strip():
            return []
        result = await self._tenant(namespace).query.bm25(
            query=query,
            query_properties=[self._keyword_property],
            limit=k,
            filters=to_filter(filter),
            return_metadata=MetadataQuery(score=True),
            include_vector=True,
        )
        return [
            (str(o.properties["memory_id"]), float(o.metadata.score or 0.0), self._record(o)) for o in result.objects
        ]

    @translated
    async def vector_search(
        self, namespace: str, vector: npt.NDArray[np.float32], k: int, filter: SearchFilter | None = None
    ) -> list[SearchHit]:
        await self._connected()
        if not await self._has_tenant(namespace):
            return []
        ranked = await self._vector_ranked(namespace, vector, k, filter)
        return [SearchHit(record=r, score=s, vector_score=s, vector_rank=i) for i, (_, s, r) in enumerate(ranked, 1)]

    @translated
    async def nearest_ids(
        self, namespace: str, vectors: npt.NDArray[np.float32], k: int
    ) -> list[list[tuple[str, float]]]:
        await self._connected()
        if not await self._has_tenant(namespace):
            return [[] for _ in range(len(vectors))]

        async def one(vector: npt.NDArray[np.float32]) -> list[tuple[str, float]]:
            result = await self._tenant(namespace).query.near_vector(
                near_vector=np.asarray(vector, dtype=np.float32).tolist(),
                limit=k,
                return_metadata=MetadataQuery(distance=True),
                return_properties=["memory_id"],
            )
            return [(str(o.properties["memory_id"]), 1.0 - float(o.metadata.distance)) for o in result.objects]

        return list(await asyncio.gather(*(one(v) for v in vectors)))

    @translated
    async def keyword_search(
        self, namespace: str, query: str, k: int, filter: SearchFilter | None = None
    ) -> list[SearchHit]:
        await self._connected()
        if not await self._has_tenant(namespace):
            return []
        ranked = await self._keyword_ranked(namespace, query, k, filter)
        return [SearchHit(record=r, score=s, keyword_score=s, keyword_rank=i) for i, (_, s, r) in enumerate(ranked, 1)]

    @translated
    async def hybrid_search(
        self,
        namespace: str,
        query: str,
        vector: npt.NDArray[np.float32],
        k: int,
        alpha: float = 0.5,
        filter: SearchFilter | None = None,
    ) -> list[SearchHit]:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be within [0, 1], got {alpha}")
        await self._connected()
        if not await self._has_tenant(namespace):
            return []
        pool = max(k, self._candidates)
        dense, sparse = await asyncio.gather(
            self._vector_ranked(namespace, vector, pool, filter) if alpha > 0 else _nothing(),
            self._keyword_ranked(namespace, query, pool, filter) if alpha < 1 else _nothing(),
        )
        records = {memory_id: record for memory_id, _, record in (*dense, *sparse)}
        fused = relative_score_fusion([(m, s) for m, s, _ in dense], [(m, s) for m, s, _ in sparse], alpha=alpha, k=k)
        return [
            SearchHit(
                record=records[f.key],
                score=f.score,
                vector_score=f.vector_score,
                keyword_score=f.keyword_score,
                vector_rank=f.vector_rank,
                keyword_rank=f.keyword_rank,
            )
            for f in fused
        ]

    # -- reindex: a new collection with the new model's vectors, then one switch of the meta object ----

    @translated
    async def embedder_identity(self) -> tuple[str, int] | None:
        """From the state this process serves by (at most STATE_TTL_S old), so following a reindex costs
        no read per query. A query embedded just before this process learns of a switch may be searched
        in the new collection once (both offline models are 384 wide: no error, a weaker answer)."""
        await self._connected()
        state = self._state
        if state.embedder is None or state.dimension is None:
            return None
        return state.embedder, state.dimension

    @translated
    async def reindex_begin(self, name: str, dimension: int, *, restart: bool = False) -> ReindexProgress:
        """Start moving to `name` in a new collection, or resume the move to it already in progress.
        Another target in progress is an error unless `restart` (its collection is dropped)."""
        await self._connected()
        state = await self._read_state()
        await self._remove_retired(state)
        state = await self._read_state()
        if state.reindex_embedder is not None and (state.reindex_embedder, state.reindex_dimension) != (
            name,
            dimension,
        ):
            if not restart:
                raise ReindexError(
                    f"a reindex to {state.reindex_embedder} is in progress in Weaviate store {self._base}; finish it "
                    "with the same --embedder, or start over with --restart"
                )
            await self._drop(state.reindex_collection)
            state = replace(state, reindex_embedder=None, reindex_dimension=None, reindex_collection=None)
        if state.reindex_collection is None:
            target = f"{self._base[:90]}R{uuid.uuid4().hex[:8]}"
            await self._create_memory_collection(target)
            state = replace(
                state, reindex_embedder=name, reindex_dimension=dimension, reindex_collection=target, sealed_at=None
            )
            await self._write_state(state)
            log.warning("reindexing Weaviate store %s into collection %s for %s", self._base, target, name)
        elif not await self._client.collections.exists(state.reindex_collection):
            await self._create_memory_collection(state.reindex_collection)
        self._sweep = await self._compare(state)
        self._sweep_unread = True
        return await self._progress(state)

    @translated
    async def reindex_progress(self) -> ReindexProgress:
        await self._connected()
        state = await self._read_state()
        if state.reindex_collection is not None and self._sweep is None:
            self._sweep = await self._compare(state)
        return await self._progress(state)

    async def _progress(self, state: StoreState) -> ReindexProgress:
        if state.reindex_collection is not None and self._sweep is not None:
            done, total = self._sweep.done, self._sweep.total
        else:  # none in progress: every memory has the store's vectors
            done = total = await reindexing.count_all(self._client, state.collection)
        return ReindexProgress(embedder=state.embedder, target=state.reindex_embedder, done=done, total=total)

    async def _compare(self, state: StoreState) -> reindexing.Sweep:
        assert state.reindex_collection is not None
        return await reindexing.sweep(self._client, state.collection, state.reindex_collection, FINGERPRINT)

    @translated
    async def reindex_pending(self, limit: int, after: int = 0) -> list[tuple[int, str]]:
        """Up to `limit` memories still to embed for the target: (position, text). `after=0` compares the
        two collections afresh; later pages walk that comparison by position."""
        await self._connected()
        state = await self._read_state()
        if state.reindex_collection is None:
            raise ReindexError("no reindex is in progress; start one with `somnia reindex --embedder`")
        if self._sweep is None or (after == 0 and not self._sweep_unread):
            self._sweep = await self._compare(state)
        self._sweep_unread = False
        page = self._sweep.pending[after : after + limit]
        return [(after + i + 1, item.text) for i, item in enumerate(page)]

    @translated
    async def reindex_write(
        self, target: str, keys: Sequence[int], texts: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> int:
        await self._connected()
        state = await self._read_state()
        if state.reindex_embedder != target or state.reindex_collection is None or self._sweep is None:
            raise ReindexError(
                f"the reindex to {target} is no longer in progress (it was swapped, or another run started "
                f"over{' to ' + state.reindex_embedder if state.reindex_embedder else ''})"
            )
        if any(not 1 <= key <= len(self._sweep.pending) for key in keys):
            raise ReindexError("these keys are not from this reindex's last listing; run it again")
        items = [self._sweep.pending[key - 1] for key in keys]
        if [item.text for item in items] != list(texts):
            raise ReindexError("the texts to write are not the ones this reindex listed; run it again")
        written = await reindexing.copy(
            self._client, state.collection, state.reindex_collection, target, items, vectors, FINGERPRINT
        )
        self._sweep.written += written
        return written

    @translated
    async def reindex_swap(self) -> bool:
        """Two steps. First the store is sealed (writes are refused and retried by their senders, so none
        can land behind the last sweep) and False is returned: the caller sweeps once more. Then, when
        nothing is pending and the seal is still well within its lease, the meta object names the new
        collection and embedder in one write, and every process follows it; the old collection is removed
        once readers have moved off it. A run stopped while sealed leaves a seal that lapses after
        SEAL_LEASE_S, and the reindex stays resumable."""
        await self._connected()
        state = await self._read_state()
        if state.reindex_collection is None:
            raise ReindexError("no reindex is in progress; start one with `somnia reindex --embedder`")
        if not state.sealed_long_enough_to_switch():
            # (Again, when a stopped run left a seal that lapsed or is about to.)
            await self._write_state(replace(state, sealed_at=time.time()))
            return False
        # The switch needs a sweep that began after the seal and found nothing left to copy: the caller's
        # last pass from the start (reindex_pending with after=0).
        sweep = self._sweep
        assert state.sealed_at is not None
        if sweep is None or sweep.started_at < state.sealed_at or sweep.pending:
            return False
        swapped = state.swapped()
        await self._write_state(swapped)
        await self._serve(swapped)
        log.warning(
            "Weaviate store %s swapped to %s (vectors from %s)", self._base, swapped.collection, swapped.embedder
        )
        await asyncio.sleep(RETIRE_AFTER_S)
        await self._remove_retired(await self._read_state())
        return True

    async def _remove_retired(self, state: StoreState) -> None:
        if state.retired is None or state.retired == state.collection:
            return
        await self._drop(state.retired)
        await self._write_state(replace(state, retired=None))

    async def _drop(self, collection: str | None) -> None:
        if collection and collection != self._name and await self._client.collections.exists(collection):
            await self._client.collections.delete(collection)

    async def reachable(self) -> bool:
        try:
            await self._connected()
            return bool(await self._client.is_ready())
        except Exception:  # any failure to answer is "not reachable" to a readiness probe
            return False

    async def aclose(self) -> None:
        await self._client.close()


async def _nothing() -> list[tuple[str, float, MemoryRecord]]:
    return []


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
