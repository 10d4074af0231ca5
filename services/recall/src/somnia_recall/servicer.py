"""gRPC RecallService: proto in, service call, proto out."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_contracts import ROLES, IdentifierError, validate_namespace
from somnia_embedder import EmbedderError
from somnia_graph_store import GraphStoreError
from somnia_memory_store import SearchFilter, StoreError
from somnia_telemetry import ServiceMetrics
from somnia_tokens import TokenCounter, pack_in_order

from somnia_recall.service import InvalidQuery, RecalledMemory, RecallService

MAX_FILTER_SESSIONS = 1000


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


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

    def bound(field: str) -> datetime | None:
        if not f.HasField(field):
            return None
        try:
            return getattr(f, field).ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]
        except (ValueError, OverflowError) as exc:
            raise InvalidQuery(f"filter.{field} is not a valid time: {exc}") from exc

    after, before = bound("occurred_after"), bound("occurred_before")
    if after and before and after > before:
        raise InvalidQuery("filter.occurred_after is later than filter.occurred_before; swap them")
    return SearchFilter(
        session_ids=tuple(f.session_ids), roles=tuple(f.roles), occurred_after=after, occurred_before=before
    )


def to_item(memory: RecalledMemory, tokens: int) -> recall_pb2.RecalledItem:
    hit, record = memory.hit, memory.hit.record
    return recall_pb2.RecalledItem(
        memory_id=record.memory_id,
        text=record.text,
        kind=record.kind,
        scores=recall_pb2.Scores(
            fused=hit.score,
            vector=hit.vector_score,
            keyword=hit.keyword_score,
            vector_rank=hit.vector_rank,
            keyword_rank=hit.keyword_rank,
        ),
        session_id=record.session_id,
        occurred_at=timestamp(record.occurred_at),
        recorded_at=timestamp(record.recorded_at),
        provenance=recall_pb2.Provenance(
            turn_id=record.turn_id, chunk_index=record.chunk_index, role=record.role, embedder=record.embedder
        ),
        why=memory.why,
        tokens=tokens,
    )


class RecallServicer(recall_pb2_grpc.RecallServiceServicer):
    def __init__(
        self,
        service: RecallService,
        *,
        default_k: int,
        max_query_chars: int,
        metrics: ServiceMetrics,
        tokens: TokenCounter,
        max_token_budget: int,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._tokens = tokens
        self._max_token_budget = max_token_budget
        self._default_k = default_k
        self._max_query_chars = max_query_chars

    async def Recall(
        self, request: recall_pb2.RecallRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.RecallResponse:
        with self._metrics.recall_latency.time():
            try:
                budget = self._budget(request)
                memories = await self._recall(request)
            except (IdentifierError, InvalidQuery) as exc:
                self._metrics.recall_errors.labels("INVALID_ARGUMENT").inc()
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except (StoreError, GraphStoreError, EmbedderError) as exc:
                self._metrics.recall_errors.labels("UNAVAILABLE").inc()
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE, f"recall could not read its stores ({exc}); retry later"
                )
            counted = [(m, self._tokens.count(m.hit.record.text)) for m in memories]
            if budget is not None:
                counted = [pair for pair, _ in pack_in_order(counted, budget, lambda pair: pair[1]).items]
            items = [to_item(m, tokens) for m, tokens in counted]
            return recall_pb2.RecallResponse(
                items=items, token_count=sum(t for _, t in counted), tokenizer=self._tokens.name
            )

    def _budget(self, request: recall_pb2.RecallRequest) -> int | None:
        if not request.HasField("token_budget"):
            return None
        if not 1 <= request.token_budget <= self._max_token_budget:
            raise InvalidQuery(
                f"token_budget={request.token_budget} is out of range; use 1 to {self._max_token_budget} tokens "
                "(or leave it unset for no budget)"
            )
        return int(request.token_budget)

    async def _recall(self, request: recall_pb2.RecallRequest) -> list[RecalledMemory]:
        validate_namespace(request.namespace)
        if len(request.query) > self._max_query_chars:
            raise InvalidQuery(
                f"query is {len(request.query)} characters, over the limit of {self._max_query_chars}; "
                "shorten it to the question itself"
            )
        return await self._service.recall(
            request.namespace,
            request.query,
            k=request.k or self._default_k,
            alpha=request.alpha if request.HasField("alpha") else None,
            filter=to_filter(request),
            expand_graph=request.expand_graph if request.HasField("expand_graph") else True,
        )
