"""embedding's process: embedder, store, durable consumer, and a gRPC health endpoint."""

from __future__ import annotations

from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher, UsageBoard
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM
from somnia_embedder import Embedder, EmbedderSettings
from somnia_memory_model import UsageReporter
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_service_runtime import ConsumerProcess
from somnia_service_runtime import run as run_service
from somnia_stores import create_following_embedder

from somnia_embedding.handlers import TurnBatchHandler, consumer_specs
from somnia_embedding.service import IndexingService
from somnia_embedding.settings import EmbeddingSettings


class EmbeddingApp:
    def __init__(
        self,
        settings: EmbeddingSettings,
        embedder: Embedder,
        store: MemoryStore,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.process = ConsumerProcess("embedding", settings, (SESSION_STREAM, MEMORY_STREAM), tracer_provider)
        self.process.readiness.watch("the memory store", store.reachable)
        self.broker, self.metrics = self.process.broker, self.process.metrics
        self.service = IndexingService(
            embedder,
            store,
            chunk_words=settings.chunk_words,
            chunk_overlap_words=settings.chunk_overlap_words,
        )
        self.handler = TurnBatchHandler(
            self.service,
            JetStreamPublisher(self.broker),
            self.process.tracer,
            retry=settings.retry,
            embedder_name=embedder.name,
            metrics=self.metrics,
            usage=UsageReporter(store, UsageBoard(self.broker), interval_s=settings.usage_report_interval_s),
        )
        self.process.consume(consumer_specs(settings), self.handler.handle)

    async def start(self) -> int:
        # Refuse to start rather than mix two models' vectors in one index.
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)
        await self.process.connect()
        return await self.process.start()

    async def stop(self) -> None:
        # No new batches, then let the ones in flight finish writing and acking, then disconnect.
        await self.process.stop(drain=self.handler.drain)
        await self.embedder.aclose()
        await self.store.aclose()


async def create_app(settings: EmbeddingSettings, tracer_provider: TracerProvider | None = None) -> EmbeddingApp:
    store = open_memory_store(MemoryStoreSettings())
    # New memories are embedded with the store's model, also after `somnia reindex` swaps it.
    embedder = await create_following_embedder(EmbedderSettings(), store)
    return EmbeddingApp(settings, embedder, store, tracer_provider)


def run() -> None:
    run_service("embedding", create_app, EmbeddingSettings)
