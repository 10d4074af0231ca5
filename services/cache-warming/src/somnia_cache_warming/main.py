"""cache-warming's process: stores, query embedder, NATS consumer and KV bucket, gRPC health."""

from __future__ import annotations

import asyncio
import logging

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams, watch_consumer_lag
from somnia_contracts import CACHE_STREAM, SESSION_STREAM
from somnia_embedder import Embedder, EmbedderSettings, create_embedder
from somnia_extraction import Extractor, ExtractorSettings, create_extractor
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_grpc_runtime import GrpcServer, wait_for_shutdown_signal
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_retrieval import RankingGraph, RankingSettings, Retriever, WarmPackBuilder, WarmPackSettings, WarmPackStore
from somnia_telemetry import configure_tracing, create_metrics, serve_metrics
from somnia_tokens import TokenizerSettings, create_token_counter

from somnia_cache_warming.handlers import SessionStartedHandler, register
from somnia_cache_warming.settings import CacheWarmingSettings
from somnia_cache_warming.warmer import SessionWarmer

log = logging.getLogger("somnia.cache_warming")


class CacheWarmingApp:
    def __init__(
        self,
        settings: CacheWarmingSettings,
        embedder: Embedder,
        store: MemoryStore,
        graph: RankingGraph,
        extractor: Extractor | None = None,
        tracer_provider: TracerProvider | None = None,
        *,
        warm: WarmPackSettings | None = None,
        ranking: RankingSettings | None = None,
    ) -> None:
        self.settings = settings
        self.warm_settings = warm or WarmPackSettings()
        self.embedder, self.store, self.graph, self.extractor = embedder, store, graph, extractor
        self.metrics = create_metrics()
        self._lag_watch: asyncio.Task[None] | None = None
        self.broker = create_broker(
            settings.nats_url,
            name="cache-warming",
            tracer_provider=tracer_provider,
            graceful_timeout_s=settings.shutdown_grace_s,
        )
        retriever = Retriever(embedder, store, ranking or RankingSettings(), graph=graph, extractor=extractor)
        self.builder = WarmPackBuilder(
            retriever,
            store,
            graph,
            create_token_counter(TokenizerSettings()),
            recent_sessions=self.warm_settings.recent_sessions,
            related_k=self.warm_settings.related_k,
            dreamt_share=self.warm_settings.dreamt_share,
            insight_min_cosine=self.warm_settings.insight_min_cosine,
        )
        self.packs: WarmPackStore | None = None
        self._tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer("somnia.cache_warming")
        self.handler: SessionStartedHandler | None = None
        self.health = GrpcServer(
            host=settings.health_host, port=settings.health_port, services=[], tracer_provider=tracer_provider
        )

    async def start(self) -> None:
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)
        await self.broker.connect()
        await ensure_streams(self.broker, SESSION_STREAM, CACHE_STREAM)
        self.packs = WarmPackStore(
            self.broker.connection.jetstream(), bucket=self.warm_settings.bucket, ttl_s=self.warm_settings.ttl_s
        )
        await self.packs.open()
        warmer = SessionWarmer(self.builder, self.packs, JetStreamPublisher(self.broker), self.warm_settings.budgets())
        self.handler = SessionStartedHandler(warmer, self._tracer, self.settings, self.metrics)
        register(self.broker, self.handler, self.settings)
        await self.broker.start()
        port = await self.health.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        pending = self.metrics.consumer_pending.labels(SESSION_STREAM.name, self.settings.durable)
        self._lag_watch = asyncio.create_task(
            watch_consumer_lag(self.broker, SESSION_STREAM.name, self.settings.durable, pending.set)
        )
        log.info(
            "cache-warming on %s into KV bucket %s; health on %s", SESSION_STREAM.name, self.warm_settings.bucket, port
        )

    async def stop(self) -> None:
        if self._lag_watch is not None:
            self._lag_watch.cancel()
        await self.health.stop()
        await close_broker(self.broker)
        await self.graph.aclose()
        if self.extractor is not None:
            await self.extractor.aclose()
        await self.embedder.aclose()
        await self.store.aclose()


async def create_app(settings: CacheWarmingSettings, tracer_provider: TracerProvider | None = None) -> CacheWarmingApp:
    return CacheWarmingApp(
        settings,
        await create_embedder(EmbedderSettings()),
        open_memory_store(MemoryStoreSettings()),
        open_graph_store(GraphStoreSettings()),
        create_extractor(ExtractorSettings(kind="offline")),
        tracer_provider,
    )


async def serve() -> None:
    app = await create_app(CacheWarmingSettings(), configure_tracing("cache-warming"))
    await app.start()
    await wait_for_shutdown_signal()
    await app.stop()


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve())
