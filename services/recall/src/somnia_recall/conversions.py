"""Proto messages to and from the retrieval lib's models."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from somnia.recall.v1 import recall_pb2
from somnia_contracts import ARCHIVE_SUFFIX, MEMORY_KINDS, ROLES
from somnia_memory_store import SearchFilter
from somnia_retrieval import InvalidQuery, RankedMemory, WakeDelta
from somnia_warm_packs import LayerName, PackItem, WarmPack

from somnia_recall.service import RecallQuery, WakeQuery, WarmQuery

MAX_FILTER_SESSIONS = 1000
LAYERS: dict[int, LayerName] = {
    recall_pb2.LAYER_L1_IMMEDIATE: "L1",
    recall_pb2.LAYER_L2_SESSION: "L2",
    recall_pb2.LAYER_L3_DOMAIN: "L3",
    recall_pb2.LAYER_L4_STRATEGIC: "L4",
}
LAYER_ENUMS = {name: number for number, name in LAYERS.items()}


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime) -> Timestamp:
    """As Timestamp.FromDatetime (a naive time is UTC), exact, in less than half its time (1.5 against
    3.5 us): a warm pack carries two per item, some 1,400 a pack."""
    elapsed = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - EPOCH
    return Timestamp(seconds=elapsed.days * 86_400 + elapsed.seconds, nanos=elapsed.microseconds * 1000)


def read_time(message: object, field: str, name: str) -> datetime | None:
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    try:
        return getattr(message, field).ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]
    except (ValueError, OverflowError) as exc:
        raise InvalidQuery(f"{name} is not a valid time: {exc}") from exc


def to_filter(request: recall_pb2.RecallRequest) -> SearchFilter | None:
    if not request.HasField("filter"):
        return None
    f = request.filter
    if len(f.session_ids) > MAX_FILTER_SESSIONS:
        raise InvalidQuery(
            f"filter.session_ids has {len(f.session_ids)} ids; at most {MAX_FILTER_SESSIONS} are allowed"
        )
    bad_roles = [r for r in f.roles if r not in ROLES]
    if bad_roles:
        raise InvalidQuery(f"filter.roles has {bad_roles}; use any of {', '.join(ROLES)}")
    bad_kinds = [k for k in f.kinds if k not in MEMORY_KINDS]
    if bad_kinds:
        raise InvalidQuery(f"filter.kinds has {bad_kinds}; use any of {', '.join(MEMORY_KINDS)}")
    after = read_time(f, "occurred_after", "filter.occurred_after")
    before = read_time(f, "occurred_before", "filter.occurred_before")
    if after and before and after > before:
        raise InvalidQuery("filter.occurred_after is later than filter.occurred_before; swap them")
    return SearchFilter(
        session_ids=tuple(f.session_ids),
        roles=tuple(f.roles),
        kinds=tuple(f.kinds),
        occurred_after=after,
        occurred_before=before,
    )


def to_item(memory: RankedMemory, tokens: int) -> recall_pb2.RecalledItem:
    hit, record = memory.hit, memory.record
    return recall_pb2.RecalledItem(
        memory_id=record.memory_id,
        text=record.text,
        kind=record.kind,
        status=memory.standing.status,
        superseded_by=memory.superseded_by,
        evidence_memory_id=memory.standing.by if memory.standing.status == "disproven" else "",
        status_reason=memory.standing.reason,
        changed_by=memory.standing.by,
        valid_from=timestamp(record.occurred_at),
        archived=record.namespace.endswith(ARCHIVE_SUFFIX),
        valid_to=timestamp(memory.standing.valid_to) if memory.standing.valid_to is not None else None,
        scores=recall_pb2.Scores(
            fused=hit.score if hit else 0.0,
            vector=hit.vector_score if hit else 0.0,
            keyword=hit.keyword_score if hit else 0.0,
            vector_rank=hit.vector_rank if hit else 0,
            keyword_rank=hit.keyword_rank if hit else 0,
            relevance=memory.relevance,
            recency=memory.recency,
            importance=memory.importance,
            final=memory.score,
            strength=memory.strength,
        ),
        session_id=record.session_id,
        occurred_at=timestamp(record.occurred_at),
        recorded_at=timestamp(record.recorded_at),
        provenance=recall_pb2.Provenance(
            turn_id=record.turn_id,
            chunk_index=record.chunk_index,
            role=record.role,
            embedder=record.embedder,
            derived_from=list(memory.derived_from),
        ),
        why=memory.why,
        paths=list(memory.paths),
        tokens=tokens,
    )


def pack_item(item: PackItem) -> recall_pb2.RecalledItem:
    return recall_pb2.RecalledItem(
        memory_id=item.memory_id,
        text=item.text,
        kind=item.kind,
        status=item.status,
        scores=recall_pb2.Scores(final=item.score, relevance=item.score),
        session_id=item.session_id,
        occurred_at=timestamp(item.occurred_at),
        recorded_at=timestamp(item.recorded_at),
        provenance=recall_pb2.Provenance(
            turn_id=item.turn_id,
            chunk_index=item.chunk_index,
            role=item.role,
            embedder=item.embedder,
            derived_from=list(item.derived_from),
        ),
        why=item.why,
        paths=[item.why],
        tokens=item.tokens,
    )


def to_warm_response(
    pack: WarmPack, *, from_cache: bool, adapters_applied: tuple[str, ...] = ()
) -> recall_pb2.WarmCacheResponse:
    return recall_pb2.WarmCacheResponse(
        layers=[
            recall_pb2.WarmLayer(
                layer=LAYER_ENUMS[layer.layer],
                budget=layer.budget,
                carried=layer.carried,
                token_count=layer.tokens,
                items=[pack_item(i) for i in layer.items],
            )
            for layer in pack.layers
        ],
        rendered=pack.rendered,
        token_count=pack.tokens,
        tokenizer=pack.tokenizer,
        from_cache=from_cache,
        built_at=timestamp(pack.built_at),
        build_ms=pack.build_ms,
        adapters_applied=adapters_applied,
    )


def to_recall_query(request: recall_pb2.RecallRequest) -> RecallQuery:
    return RecallQuery(
        namespace=request.namespace,
        query=request.query,
        k=request.k,
        alpha=request.alpha if request.HasField("alpha") else None,
        filter=to_filter(request),
        expand_graph=request.expand_graph if request.HasField("expand_graph") else None,
        as_of=read_time(request, "as_of", "as_of"),
        include_archived=request.include_archived,
        valid_at=read_time(request, "valid_at", "valid_at"),
        include_retracted=request.include_retracted,
        timeline=request.timeline,
        token_budget=request.token_budget if request.HasField("token_budget") else None,
        adapters=tuple(request.adapters),
    )


def to_wake_query(request: recall_pb2.WakeDeltaRequest) -> WakeQuery:
    return WakeQuery(
        namespace=request.namespace,
        session_id=request.session_id,
        text=request.text,
        token_budget=request.token_budget if request.HasField("token_budget") else None,
        known=tuple(request.known_memory_ids),
        adapters=tuple(request.adapters),
    )


def to_wake_response(delta: WakeDelta, adapters_applied: tuple[str, ...]) -> recall_pb2.WakeDeltaResponse:
    return recall_pb2.WakeDeltaResponse(
        items=[pack_item(i) for i in delta.items],
        rendered=delta.rendered,
        token_count=delta.tokens,
        tokenizer=delta.tokenizer,
        build_ms=delta.build_ms,
        adapters_applied=adapters_applied,
    )


def to_warm_query(request: recall_pb2.WarmCacheRequest) -> WarmQuery:
    budgets: dict[LayerName, int] = {}
    for override in request.budgets:
        layer = LAYERS.get(override.layer)
        if layer is None:
            raise InvalidQuery(
                f"budgets names layer {override.layer}, which is not a layer; use LAYER_L1_IMMEDIATE, "
                "LAYER_L2_SESSION, LAYER_L3_DOMAIN or LAYER_L4_STRATEGIC"
            )
        budgets[layer] = int(override.tokens)
    return WarmQuery(
        namespace=request.namespace,
        session_id=request.session_id,
        agent=request.agent,
        opening=request.opening,
        tools=tuple(request.tools),
        budgets=budgets,
        rebuild=request.rebuild,
        adapters=tuple(request.adapters),
    )
