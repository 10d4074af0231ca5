"""gRPC RecallService: Recall, WarmCache, Feedback and Forget. Proto in, retrieval lib call, proto out; every
error becomes a status whose message says what to fix."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime

import grpc
from nats.errors import Error as NatsError
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_contracts import (
    ForgetTarget,
    IdentifierError,
    SessionStarted,
    archive_namespace,
    validate_namespace,
    validate_session_id,
)
from somnia_embedder import EmbedderError
from somnia_erasure import Eraser, InvalidErasure, NothingToForget
from somnia_graph_store import GraphStoreError
from somnia_memory_store import StoreError
from somnia_retrieval import InvalidQuery, RankedMemory, Retriever, UnknownNamespace, WarmPackBuilder, WarmRequest
from somnia_retrieval.tiers import merge_tiers
from somnia_telemetry import ServiceMetrics
from somnia_tokens import TokenCounter, pack_in_order
from somnia_warm_packs import LayerName, WarmPackStore

from somnia_recall.conversions import LAYERS, read_time, to_filter, to_item, to_warm_response
from somnia_recall.feedback import FeedbackRecorder, UnknownMemory
from somnia_recall.uses import UseRecorder

MAX_TOOLS = 64
SessionStarts = Callable[[str, str], Awaitable[SessionStarted | None]]


class RecallServicer(recall_pb2_grpc.RecallServiceServicer):
    def __init__(
        self,
        retriever: Retriever,
        *,
        default_k: int,
        max_query_chars: int,
        metrics: ServiceMetrics,
        tokens: TokenCounter,
        max_token_budget: int,
        warm_builder: WarmPackBuilder,
        warm_budgets: dict[LayerName, int],
        max_layer_tokens: int = 256_000,
        feedback: FeedbackRecorder | None = None,
        uses: UseRecorder | None = None,
    ) -> None:
        self._retriever = retriever
        self._metrics = metrics
        self._tokens = tokens
        self._max_token_budget = max_token_budget
        self._default_k = default_k
        self._max_query_chars = max_query_chars
        self._warm_builder = warm_builder
        self._warm_packs: WarmPackStore | None = None
        self._warm_budgets = warm_budgets
        self._max_layer_tokens = max_layer_tokens
        self._feedback = feedback
        self._uses = uses
        self._session_starts: SessionStarts | None = None
        self._eraser: Eraser | None = None

    def use_nats(self, packs: WarmPackStore, session_starts: SessionStarts, eraser: Eraser | None = None) -> None:
        """Once NATS is connected: store and reuse packs in the KV bucket, read how sessions started, and
        erase (Forget needs the streams and the buckets)."""
        self._warm_packs = packs
        self._session_starts = session_starts
        self._eraser = eraser

    @asynccontextmanager
    async def _statuses(self, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        """Map what can go wrong to gRPC statuses (abort raises, so nothing after it runs)."""
        try:
            yield
        except (IdentifierError, InvalidQuery, InvalidErasure) as exc:
            self._metrics.recall_errors.labels("INVALID_ARGUMENT").inc()
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except (UnknownNamespace, UnknownMemory, NothingToForget) as exc:
            self._metrics.recall_errors.labels("NOT_FOUND").inc()
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except (StoreError, GraphStoreError, EmbedderError, NatsError, TimeoutError) as exc:
            self._metrics.recall_errors.labels("UNAVAILABLE").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"recall could not read its stores ({exc}); retry later")

    async def Recall(
        self, request: recall_pb2.RecallRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.RecallResponse:
        with self._metrics.recall_latency.time():
            async with self._statuses(context):
                budget = self._budget(request)
                memories = await self._recall(request)
                signal = await self._retriever.assess(request.query, memories)
            counted = [(m, self._tokens.count(m.record.text)) for m in memories]
            if budget is not None:
                counted = [pair for pair, _ in pack_in_order(counted, budget, lambda pair: pair[1]).items]
            if self._uses is not None:
                self._uses.used(request.namespace, [m.record for m, _ in counted])
            return recall_pb2.RecallResponse(
                items=[to_item(m, tokens) for m, tokens in counted],
                token_count=sum(t for _, t in counted),
                tokenizer=self._tokens.name,
                best_match=signal.best_match,
                entity_coverage=signal.entity_coverage,
                answer_may_be_absent=signal.may_be_absent,
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

    async def _recall(self, request: recall_pb2.RecallRequest) -> list[RankedMemory]:
        validate_namespace(request.namespace)
        if len(request.query) > self._max_query_chars:
            raise InvalidQuery(
                f"query is {len(request.query)} characters, over the limit of {self._max_query_chars}; "
                "shorten it to the question itself"
            )
        as_of: datetime | None = read_time(request, "as_of", "as_of")
        k = request.k or self._default_k

        async def recall_in(partition: str | None = None) -> list[RankedMemory]:
            return await self._retriever.recall(
                request.namespace,
                request.query,
                k=k,
                alpha=request.alpha if request.HasField("alpha") else None,
                filter=to_filter(request),
                expand_graph=request.expand_graph if request.HasField("expand_graph") else None,
                as_of=as_of,
                partition=partition,
            )

        if not request.include_archived:
            return await recall_in()
        # The cold archive is a partition of its own: searched apart, then merged (libs/retrieval tiers).
        tiers: dict[str, list[RankedMemory]] = {}
        for tier, partition in (("hot", None), ("cold", archive_namespace(request.namespace))):
            with suppress(UnknownNamespace):  # an empty tier
                tiers[tier] = await recall_in(partition)
        if not tiers:
            raise UnknownNamespace(f"namespace {request.namespace} holds no memories, hot or archived")
        query = await self._retriever.embed_query(request.query)
        return merge_tiers(query, tiers.get("hot", []), tiers.get("cold", []), k)

    async def WarmCache(
        self, request: recall_pb2.WarmCacheRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.WarmCacheResponse:
        async with self._statuses(context):
            warm = self._warm_request(request)
            if not (warm.agent or warm.opening or warm.tools) and self._session_starts is not None:
                started = await self._session_starts(warm.namespace, warm.session_id)
                if started is not None:  # the session as StartSession described it
                    warm = warm.model_copy(
                        update={"agent": started.agent, "opening": started.opening, "tools": started.tools}
                    )
            if self._warm_packs is not None and not request.rebuild:
                stored = await self._warm_packs.get(warm.namespace, warm.session_id)
                if stored is not None and {layer.layer: layer.budget for layer in stored.layers} == warm.budgets:
                    self._metrics.warm_packs.labels("stored").inc()
                    return to_warm_response(stored, from_cache=True)
            with self._metrics.warm_pack_build.time():
                pack = await self._warm_builder.build(warm)
            self._metrics.warm_packs.labels("built").inc()
            if self._warm_packs is not None:
                await self._warm_packs.put(pack)
            return to_warm_response(pack, from_cache=False)
        raise AssertionError("unreachable: every error above aborts the call")

    def _warm_request(self, request: recall_pb2.WarmCacheRequest) -> WarmRequest:
        validate_namespace(request.namespace)
        validate_session_id(request.session_id)
        if len(request.opening) > self._max_query_chars:
            raise InvalidQuery(f"opening is {len(request.opening)} characters; at most {self._max_query_chars}")
        if len(request.tools) > MAX_TOOLS or any(not 1 <= len(t) <= 128 for t in request.tools):
            raise InvalidQuery(f"tools: at most {MAX_TOOLS} names of 1 to 128 characters each")
        budgets = dict(self._warm_budgets)
        for override in request.budgets:
            layer = LAYERS.get(override.layer)
            if layer is None:
                raise InvalidQuery(
                    f"budgets names layer {override.layer}, which is not a layer; use LAYER_L1_IMMEDIATE, "
                    "LAYER_L2_SESSION, LAYER_L3_DOMAIN or LAYER_L4_STRATEGIC"
                )
            if not 1 <= override.tokens <= self._max_layer_tokens:
                raise InvalidQuery(f"budget for {layer} is {override.tokens} tokens; use 1 to {self._max_layer_tokens}")
            budgets[layer] = int(override.tokens)
        return WarmRequest(
            namespace=request.namespace,
            session_id=request.session_id,
            agent=request.agent,
            opening=request.opening,
            tools=tuple(request.tools),
            budgets=budgets,
        )

    async def Feedback(
        self, request: recall_pb2.FeedbackRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.FeedbackResponse:
        if self._feedback is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "feedback needs NATS; recall runs without it")
        assert self._feedback is not None
        async with self._statuses(context):
            feedback_id = await self._feedback.record(request)
            self._metrics.feedback_reports.labels(recall_pb2.FeedbackSignal.Name(request.signal)).inc()
            return recall_pb2.FeedbackResponse(feedback_id=feedback_id)
        raise AssertionError("unreachable: every error above aborts the call")

    async def Forget(
        self, request: recall_pb2.ForgetRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.ForgetResponse:
        if self._eraser is None:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, "forgetting needs NATS and the graph; recall runs without them"
            )
        assert self._eraser is not None
        async with self._statuses(context):
            target, value = forget_target(request)
            report = await self._eraser.forget(request.namespace, target, value, request.reason)
            self._metrics.forgotten.labels(target).inc()
            return recall_pb2.ForgetResponse(**report.model_dump())
        raise AssertionError("unreachable: every error above aborts the call")


def forget_target(request: recall_pb2.ForgetRequest) -> tuple[ForgetTarget, str]:
    """Which one thing to forget, checked: InvalidQuery says what to set when it is not clear."""
    validate_namespace(request.namespace)
    which = request.WhichOneof("target")
    if which is None or (which == "entire_namespace" and not request.entire_namespace):
        raise InvalidQuery("say what to forget: set one of memory_id, session_id, subject or entire_namespace")
    if which == "entire_namespace":
        if request.confirm_namespace != request.namespace:
            raise InvalidQuery(
                "erasing a whole namespace cannot be undone: set confirm_namespace to "
                f"{request.namespace!r} to confirm it"
            )
        return "namespace", ""
    if which == "session_id":
        return "session", validate_session_id(request.session_id)
    if which == "memory_id":
        if not request.memory_id:
            raise InvalidQuery("memory_id is empty; pass the id Recall returned for the memory")
        return "memory", request.memory_id
    return "subject", request.subject
