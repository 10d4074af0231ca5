"""gRPC RecallService: Recall, WarmCache, WakeDelta, Feedback and Forget. Proto in, a RecallService call, proto out;
every error becomes a status whose message says what to fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from nats.errors import Error as NatsError
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import PermissionDenied, QuotaExceeded, Scope, authorize, refuse_over_quota
from somnia_contracts import (
    ForgetTarget,
    IdentifierError,
    validate_namespace,
    validate_session_id,
)
from somnia_embedder import EmbedderError
from somnia_erasure import InvalidErasure, NothingToForget
from somnia_graph_store import GraphStoreError
from somnia_memory_store import StoreError
from somnia_retrieval import InvalidQuery, UnknownNamespace
from somnia_telemetry import ServiceMetrics

from somnia_recall.conversions import (
    to_item,
    to_recall_query,
    to_wake_query,
    to_wake_response,
    to_warm_query,
    to_warm_response,
)
from somnia_recall.feedback import FeedbackRecorder, UnknownMemory
from somnia_recall.service import ErasureUnavailable, RecallService


class RecallServicer(recall_pb2_grpc.RecallServiceServicer):
    def __init__(
        self,
        service: RecallService,
        metrics: ServiceMetrics,
        *,
        feedback: FeedbackRecorder | None = None,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._feedback = feedback

    @asynccontextmanager
    async def _statuses(self, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        """Map what can go wrong to gRPC statuses (abort raises, so nothing after it runs)."""
        try:
            yield
        except PermissionDenied as exc:
            self._metrics.recall_errors.labels("PERMISSION_DENIED").inc()
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        except QuotaExceeded as exc:
            self._metrics.recall_errors.labels("RESOURCE_EXHAUSTED").inc()
            await refuse_over_quota(context, str(exc), exc.retry_after_s)
        except (IdentifierError, InvalidQuery, InvalidErasure) as exc:
            self._metrics.recall_errors.labels("INVALID_ARGUMENT").inc()
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except (UnknownNamespace, UnknownMemory, NothingToForget) as exc:
            self._metrics.recall_errors.labels("NOT_FOUND").inc()
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except ErasureUnavailable as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except (StoreError, GraphStoreError, EmbedderError, NatsError, TimeoutError) as exc:
            self._metrics.recall_errors.labels("UNAVAILABLE").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"recall could not read its stores ({exc}); retry later")

    async def Recall(
        self, request: recall_pb2.RecallRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.RecallResponse:
        with self._metrics.recall_latency.time():
            async with self._statuses(context):
                authorize("recall", request.namespace)
                result = await self._service.recall(to_recall_query(request))
                return recall_pb2.RecallResponse(
                    items=[to_item(m, tokens) for m, tokens in result.items],
                    token_count=result.token_count,
                    tokenizer=self._service.tokenizer,
                    best_match=result.absence.best_match,
                    entity_coverage=result.absence.entity_coverage,
                    answer_may_be_absent=result.absence.may_be_absent,
                    adapters_applied=result.adapters_applied,
                )
        raise AssertionError("unreachable: every error above aborts the call")

    async def WarmCache(
        self, request: recall_pb2.WarmCacheRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.WarmCacheResponse:
        async with self._statuses(context):
            authorize("recall", request.namespace)
            query = to_warm_query(request)
            with self._metrics.warm_pack_build.time():
                pack, stored, applied = await self._service.warm(query)
            self._metrics.warm_packs.labels("stored" if stored else "built").inc()
            return to_warm_response(pack, from_cache=stored, adapters_applied=applied)
        raise AssertionError("unreachable: every error above aborts the call")

    async def WakeDelta(
        self, request: recall_pb2.WakeDeltaRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.WakeDeltaResponse:
        with self._metrics.wake_delta_latency.time():
            async with self._statuses(context):
                authorize("recall", request.namespace)
                delta, applied = await self._service.wake_delta(to_wake_query(request))
                return to_wake_response(delta, applied)
        raise AssertionError("unreachable: every error above aborts the call")

    async def Feedback(
        self, request: recall_pb2.FeedbackRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.FeedbackResponse:
        async with self._statuses(context):
            authorize("feedback", request.namespace)
            if self._feedback is None:
                raise ErasureUnavailable("feedback needs NATS; recall runs without it")
            feedback_id = await self._feedback.record(request)
            self._metrics.feedback_reports.labels(recall_pb2.FeedbackSignal.Name(request.signal)).inc()
            return recall_pb2.FeedbackResponse(feedback_id=feedback_id)
        raise AssertionError("unreachable: every error above aborts the call")

    async def Forget(
        self, request: recall_pb2.ForgetRequest, context: grpc.aio.ServicerContext
    ) -> recall_pb2.ForgetResponse:
        async with self._statuses(context):
            # Erasing a whole namespace is an operator's act, not an agent's.
            scope: Scope = "admin" if request.WhichOneof("target") == "entire_namespace" else "forget"
            caller = authorize(scope, request.namespace)
            target, value = forget_target(request)
            report = await self._service.forget(
                request.namespace, target, value, request.reason, requested_by=caller.subject
            )
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
