"""embedding's process: embedder, store, durable consumer, and a gRPC health endpoint."""

from __future__ import annotations

import asyncio
import logging
import os

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams, watch_consumer_lag
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM
from somnia_embedder import Embedder, EmbedderSettings, create_embedder
from somnia_grpc_runtime import GrpcServer, wait_for_shutdown_signal
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_telemetry import configure_tracing, create_metrics, serve_metrics

from somnia_embedding.handlers import TurnBatchHandler, register
from somnia_embedding.service import IndexingService
from somnia_embedding.settings import EmbeddingSettings

log = logging.getLogger("somnia.embedding")


class EmbeddingApp:
    def __init__(
        self,
        settings: EmbeddingSettings,
        embedder: Embedder,
        store: MemoryStore,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = create_metrics()
        self._lag_watch: asyncio.Task[None] | None = None
        self.embedder = embedder
        self.store = store
        self.broker = create_broker(
            settings.nats_url,
            name="embedding",
            tracer_provider=tracer_provider,
            graceful_timeout_s=settings.shutdown_grace_s,
        )
        self.service = IndexingService(
            embedder,
            store,
            chunk_words=settings.chunk_words,
            chunk_overlap_words=settings.chunk_overlap_words,
        )
        tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer("somnia.embedding")
        self.handler = TurnBatchHandler(
            self.service,
            JetStreamPublisher(self.broker),
            tracer,
            max_backoff_s=settings.max_backoff_s,
            max_deliver=settings.max_deliver,
            embedder_name=embedder.name,
            metrics=self.metrics,
        )
        self.subscriber = register(self.broker, self.handler, settings)
        self.health = GrpcServer(
            host=settings.health_host, port=settings.health_port, services=[], tracer_provider=tracer_provider
        )

    async def start(self) -> None:
        # Refuse to start rather than mix two models' vectors in one index.
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)
        await self.broker.connect()
        await ensure_streams(self.broker, SESSION_STREAM, MEMORY_STREAM)
        await self.broker.start()
        port = await self.health.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        pending = self.metrics.consumer_pending.labels(SESSION_STREAM.name, self.settings.durable)
        self._lag_watch = asyncio.create_task(
            watch_consumer_lag(self.broker, SESSION_STREAM.name, self.settings.durable, pending.set)
        )
        log.info("embedding consuming %s with %s; health on port %s", SESSION_STREAM.name, self.embedder.name, port)

    async def stop(self) -> None:
        if self._lag_watch:
            self._lag_watch.cancel()
        await self.health.stop()
        # No new batches, then let the ones in flight finish writing and acking, then disconnect.
        await self.subscriber.stop()
        await self.handler.drain()
        await close_broker(self.broker)
        await self.embedder.aclose()
        await self.store.aclose()


async def create_app(settings: EmbeddingSettings, tracer_provider: TracerProvider | None = None) -> EmbeddingApp:
    embedder = await create_embedder(EmbedderSettings())
    store = open_memory_store(MemoryStoreSettings())
    return EmbeddingApp(settings, embedder, store, tracer_provider)


async def serve() -> None:
    app = await create_app(EmbeddingSettings(), configure_tracing("embedding"))
    await app.start()
    await wait_for_shutdown_signal()
    await app.stop()


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("somnia.embedding").setLevel(os.environ.get("SOMNIA_EMBEDDING_LOG_LEVEL", "INFO").upper())
    asyncio.run(serve())
