"""cache-warming's process: stores, query embedder, NATS consumer and KV bucket, gRPC health."""

from __future__ import annotations

from opentelemetry.trace import TracerProvider
from somnia_bus import BatchConsumer, JetStreamPublisher
from somnia_contracts import CACHE_STREAM, SESSION_STREAM, SessionStarted
from somnia_embedder import Embedder, EmbedderSettings
from somnia_extraction import Extractor, ExtractorSettings, create_extractor
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_retrieval import RetrievalConfig, Retriever, create_warm_builder
from somnia_service_runtime import ConsumerProcess
from somnia_service_runtime import run as run_service
from somnia_stores import create_following_embedder
from somnia_warm_packs import WarmPackStore

from somnia_cache_warming.handlers import consumer_specs, create_consumer
from somnia_cache_warming.ports import RankingGraph
from somnia_cache_warming.settings import CacheWarmingSettings
from somnia_cache_warming.warmer import SessionWarmer


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
        config: RetrievalConfig,
    ) -> None:
        self.settings = settings
        self.warm_settings = config.warm
        self.embedder, self.store, self.graph, self.extractor = embedder, store, graph, extractor
        self.process = ConsumerProcess("cache-warming", settings, (SESSION_STREAM, CACHE_STREAM), tracer_provider)
        self.process.readiness.watch("the memory store", store.reachable)
        self.process.readiness.watch("the graph", graph.reachable)
        self.broker, self.metrics = self.process.broker, self.process.metrics
        retriever = Retriever(embedder, store, config.ranking, graph=graph, extractor=extractor)
        self.builder = create_warm_builder(retriever, store, graph, config)
        self.packs: WarmPackStore | None = None
        self.consumer: BatchConsumer[SessionStarted] | None = None

    async def start(self) -> int:
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)
        await self.process.connect()
        self.packs = WarmPackStore(
            self.broker.connection.jetstream(), bucket=self.warm_settings.bucket, ttl_s=self.warm_settings.ttl_s
        )
        await self.packs.open()
        warmer = SessionWarmer(self.builder, self.packs, JetStreamPublisher(self.broker), self.warm_settings.budgets())
        self.consumer = create_consumer(warmer, self.process.tracer, self.settings, self.metrics)
        self.process.consume(consumer_specs(self.settings), self.consumer.handle)
        return await self.process.start()

    async def stop(self) -> None:
        await self.process.stop()
        await self.graph.aclose()
        if self.extractor is not None:
            await self.extractor.aclose()
        await self.embedder.aclose()
        await self.store.aclose()


async def create_app(settings: CacheWarmingSettings, tracer_provider: TracerProvider | None = None) -> CacheWarmingApp:
    store = open_memory_store(MemoryStoreSettings())
    return CacheWarmingApp(
        settings,
        await create_following_embedder(EmbedderSettings(), store),
        store,
        open_graph_store(GraphStoreSettings()),
        create_extractor(ExtractorSettings(kind="offline")),
        tracer_provider,
        config=RetrievalConfig.from_env(),
    )


def run() -> None:
    run_service("cache-warming", create_app, CacheWarmingSettings)
