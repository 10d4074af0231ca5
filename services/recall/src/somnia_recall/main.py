"""recall's process: query embedder, stores, NATS (feedback events, warm packs), gRPC server."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import ServerSecurity
from somnia_bus import (
    JetStreamPublisher,
    UsageBoard,
    close_broker,
    create_broker,
    ensure_streams,
    last_event,
    reply_inbox,
    subscribe_batches,
)
from somnia_contracts import (
    AUDIT_STREAM,
    DREAM_RUNS_BUCKET,
    DREAM_STREAM,
    FORGETTING_BUCKET,
    MEMORY_STREAM,
    SESSION_STREAM,
    USAGE_BUCKET,
    SessionStarted,
    Subjects,
)
from somnia_embedder import Embedder, EmbedderSettings
from somnia_erasure import Eraser
from somnia_extraction import Extractor, ExtractorSettings, create_extractor
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_grpc_runtime import GrpcServer, ServiceBinding
from somnia_memory_model import UsageReporter
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_parametric import AdapterRegistry, StaleAdapters
from somnia_reranker import Reranker, RerankerSettings, create_reranker
from somnia_retrieval import RetrievalConfig, Retriever, create_live_waker, create_warm_builder
from somnia_service_runtime import ReadinessWatch
from somnia_service_runtime import run as run_service
from somnia_stores import create_following_embedder
from somnia_telemetry import create_metrics, serve_metrics
from somnia_warm_packs import WarmPackStore

from somnia_recall.feedback import FeedbackRecorder
from somnia_recall.ports import RecallGraph
from somnia_recall.service import RecallLimits, RecallService
from somnia_recall.servicer import RecallServicer
from somnia_recall.settings import RecallSettings
from somnia_recall.uses import UseRecorder
from somnia_recall.withdrawn import WithdrawnEraser, withdrawn_consumer

log = logging.getLogger("somnia.recall")


class RecallApp:
    """`nats=False` runs Recall and WarmCache (built on demand, not stored) without a NATS server, for
    tests of ranking alone; Feedback then answers FAILED_PRECONDITION."""

    def __init__(
        self,
        settings: RecallSettings,
        embedder: Embedder,
        store: MemoryStore,
        tracer_provider: TracerProvider | None = None,
        graph: RecallGraph | None = None,
        *,
        extractor: Extractor | None = None,
        reranker: Reranker | None = None,
        config: RetrievalConfig,
        security: ServerSecurity,
        nats: bool = True,
    ) -> None:
        self.settings = settings
        self.metrics = create_metrics()
        self.embedder = embedder
        self.store = store
        self.graph = graph
        self.extractor = extractor
        self.reranker = reranker
        self.warm_settings = config.warm
        self.retriever = Retriever(
            embedder,
            store,
            config.ranking,
            max_k=settings.max_k,
            graph=graph,
            extractor=extractor,
            reranker=reranker,
        )
        self.broker = (
            create_broker(settings.nats_url, name="recall", tracer_provider=tracer_provider, graceful_timeout_s=1.0)
            if nats
            else None
        )
        self.warm_packs: WarmPackStore | None = None
        self.readiness: ReadinessWatch | None = None
        self.eraser: Eraser | None = None
        self.adapters: AdapterRegistry | None = None
        self.subscribers: list[Any] = []
        if self.broker is not None and graph is not None and settings.erase_withdrawn:
            tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer("somnia.recall")
            withdrawn = WithdrawnEraser(lambda: self.eraser, tracer)
            self.subscribers = subscribe_batches(
                self.broker,
                [withdrawn_consumer(settings.withdrawn_durable)],
                withdrawn.consumer.handle,
                inbox=reply_inbox(settings.nats_url),
            )
        self.uses = (
            UseRecorder(JetStreamPublisher(self.broker))
            if self.broker is not None and settings.record_uses and graph is not None
            else None
        )
        self.service = RecallService(
            self.retriever,
            create_warm_builder(self.retriever, store, graph, config),
            config.tokens,
            RecallLimits(
                default_k=settings.default_k,
                max_query_chars=settings.max_query_chars,
                max_token_budget=settings.max_token_budget,
                max_layer_tokens=self.warm_settings.max_layer_tokens,
            ),
            self.warm_settings.budgets(),
            waker=create_live_waker(self.retriever, config),
            wake_tokens=self.warm_settings.wake_tokens,
            uses=self.uses,
        )
        self.servicer = RecallServicer(
            self.service,
            self.metrics,
            feedback=FeedbackRecorder(store, JetStreamPublisher(self.broker)) if self.broker is not None else None,
        )
        self.server = GrpcServer(
            host=settings.host,
            port=settings.port,
            services=[
                ServiceBinding(
                    name=recall_pb2.DESCRIPTOR.services_by_name["RecallService"].full_name,
                    servicer=self.servicer,
                    add=recall_pb2_grpc.add_RecallServiceServicer_to_server,
                )
            ],
            security=security,
            tracer_provider=tracer_provider,
            grace_s=settings.shutdown_grace_s,
            max_concurrent_rpcs=settings.max_concurrent_rpcs,
        )

    async def start(self) -> int:
        # Queries embedded by another model than the stored vectors would match nothing sensible.
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)
        if self.broker is not None:
            await self.broker.connect()
            await ensure_streams(self.broker, SESSION_STREAM, MEMORY_STREAM, AUDIT_STREAM, DREAM_STREAM)
            self.warm_packs = WarmPackStore(
                self.broker.connection.jetstream(), bucket=self.warm_settings.bucket, ttl_s=self.warm_settings.ttl_s
            )
            await self.warm_packs.open()
            broker = self.broker

            async def session_start(namespace: str, session_id: str) -> SessionStarted | None:
                subject = Subjects.session_started(namespace, session_id)
                return await last_event(broker, SESSION_STREAM.name, subject, SessionStarted)

            eraser = None
            if self.graph is not None:
                registry = AdapterRegistry(self.broker.connection.jetstream())
                await registry.open()
                self.adapters = registry
                eraser = Eraser(
                    self.store,
                    self.graph,
                    self.embedder,
                    self.broker.connection.jetstream(),
                    self.warm_packs,
                    JetStreamPublisher(self.broker),
                    extra_buckets=(DREAM_RUNS_BUCKET, FORGETTING_BUCKET, USAGE_BUCKET),
                    usage=UsageReporter(self.store, UsageBoard(self.broker)),
                    adapters=StaleAdapters(registry, JetStreamPublisher(self.broker)),
                )
                await eraser.open()
                self.eraser = eraser
            self.service.use_nats(self.warm_packs, session_start, eraser, self.adapters)
            if self.subscribers:
                await self.broker.start()  # pulls memory.withdrawn now that the eraser is open
        port = await self.server.start()
        self.readiness = ReadinessWatch(self.server, {"the memory store": self.store.reachable}, log)
        if self.broker is not None:
            self.readiness.watch("NATS", self._nats_connected)
        self.readiness.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        log.info("recall serving gRPC on %s:%s with %s", self.settings.host, port, self.embedder.name)
        self.server.security.announce(log, "recall")
        return port

    async def _nats_connected(self) -> bool:
        return self.broker is not None and bool(self.broker.connection.is_connected)

    async def stop(self) -> None:
        if self.readiness is not None:
            await self.readiness.stop()
        await self.server.stop()
        if self.uses is not None:
            await self.uses.drain()
        for subscriber in self.subscribers:
            await subscriber.stop()
        if self.broker is not None:
            await close_broker(self.broker)
        if self.graph is not None:
            await self.graph.aclose()
        if self.extractor is not None:
            await self.extractor.aclose()
        if self.reranker is not None:
            await self.reranker.aclose()
        await self.embedder.aclose()
        await self.store.aclose()


async def create_app(settings: RecallSettings, tracer_provider: TracerProvider | None = None) -> RecallApp:
    store = open_memory_store(MemoryStoreSettings())
    # Queries are embedded with the store's model, also after `somnia reindex` swaps it.
    embedder = await create_following_embedder(EmbedderSettings(), store)
    graph = open_graph_store(GraphStoreSettings()) if settings.use_graph else None
    extractor = create_extractor(ExtractorSettings(kind="offline")) if settings.use_graph else None
    return RecallApp(
        settings,
        embedder,
        store,
        tracer_provider,
        graph,
        extractor=extractor,
        reranker=create_reranker(RerankerSettings()),
        config=RetrievalConfig.from_env(),
        security=ServerSecurity.from_env(),
    )


def run() -> None:
    run_service("recall", create_app, RecallSettings)
