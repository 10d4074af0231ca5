"""graph's process: graph store, two durable consumers, and a gRPC health endpoint."""

from __future__ import annotations

import asyncio
import logging

from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from somnia_bus import close_broker, create_broker, ensure_streams, watch_consumer_lag
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM
from somnia_extraction import Extractor, ExtractorSettings, create_extractor
from somnia_extraction.chat import ChatEndpoint
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_grpc_runtime import GrpcServer, wait_for_shutdown_signal
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_telemetry import configure_tracing, create_metrics, serve_metrics

from somnia_graph.handlers import EventBatchHandler, register
from somnia_graph.judge import ContradictionJudge
from somnia_graph.ports import LinkingGraph
from somnia_graph.service import GraphLinker, SimilarityLinker
from somnia_graph.settings import GraphServiceSettings
from somnia_graph.supersession import SupersessionDetector

log = logging.getLogger("somnia.graph")


def create_judge(settings: GraphServiceSettings) -> ContradictionJudge | None:
    if not settings.judge_base_url:
        return None
    endpoint = ChatEndpoint(
        base_url=settings.judge_base_url,
        model=settings.judge_model,
        api_key=settings.judge_api_key,
        timeout_s=settings.judge_timeout_s,
    )
    return ContradictionJudge(endpoint, max_pairs=settings.judge_max_pairs)


class GraphApp:
    def __init__(
        self,
        settings: GraphServiceSettings,
        store: LinkingGraph,
        tracer_provider: TracerProvider | None = None,
        *,
        extractor: Extractor | None = None,
        memories: MemoryStore | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.extractor = extractor
        self.memories = memories
        self.judge = create_judge(settings)
        self.metrics = create_metrics()
        self._lag_watches: list[asyncio.Task[None]] = []
        self.broker = create_broker(
            settings.nats_url,
            name="graph",
            tracer_provider=tracer_provider,
            graceful_timeout_s=settings.shutdown_grace_s,
        )
        tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer("somnia.graph")
        self.handler = EventBatchHandler(
            GraphLinker(
                store,
                extractor,
                SimilarityLinker(memories, top=settings.similar_top, threshold=settings.similar_threshold)
                if memories is not None and settings.similar_top
                else None,
                SupersessionDetector(
                    memories,
                    min_cosine=settings.supersede_min_cosine,
                    judge=self.judge,
                    judge_min_cosine=settings.judge_min_cosine,
                )
                if memories is not None and settings.detect_supersession
                else None,
            ),
            tracer,
            max_backoff_s=settings.max_backoff_s,
            max_deliver=settings.max_deliver,
            metrics=self.metrics,
        )
        self.subscribers = register(self.broker, self.handler, settings)
        self.health = GrpcServer(
            host=settings.health_host, port=settings.health_port, services=[], tracer_provider=tracer_provider
        )

    async def start(self) -> None:
        await self.store.ensure_schema()
        await self.broker.connect()
        await ensure_streams(self.broker, SESSION_STREAM, MEMORY_STREAM)
        await self.broker.start()
        port = await self.health.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        for stream, durable in (
            (SESSION_STREAM.name, self.settings.durable + "-sessions"),
            (MEMORY_STREAM.name, self.settings.durable + "-memories"),
            (MEMORY_STREAM.name, self.settings.durable + "-feedback"),
        ):
            pending = self.metrics.consumer_pending.labels(stream, durable)
            self._lag_watches.append(asyncio.create_task(watch_consumer_lag(self.broker, stream, durable, pending.set)))
        log.info("graph linking %s and %s; health on port %s", SESSION_STREAM.name, MEMORY_STREAM.name, port)

    async def stop(self) -> None:
        for watch in self._lag_watches:
            watch.cancel()
        await self.health.stop()
        await close_broker(self.broker)
        await self.store.aclose()
        if self.extractor is not None:
            await self.extractor.aclose()
        if self.judge is not None:
            await self.judge.aclose()
        if self.memories is not None:
            await self.memories.aclose()


def create_app(settings: GraphServiceSettings, tracer_provider: TracerProvider | None = None) -> GraphApp:
    return GraphApp(
        settings,
        open_graph_store(GraphStoreSettings()),
        tracer_provider,
        extractor=create_extractor(ExtractorSettings()) if settings.extract_entities else None,
        memories=open_memory_store(MemoryStoreSettings()) if settings.similar_top else None,
    )


async def serve() -> None:
    app = create_app(GraphServiceSettings(), configure_tracing("graph"))
    await app.start()
    await wait_for_shutdown_signal()
    await app.stop()


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve())
