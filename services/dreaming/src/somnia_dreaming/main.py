"""dreaming's processes: a consumer of `dream.requested` (a Deployment), and one run from the command
line (the chart's CronJob and `somnia dream` both call `python -m somnia_dreaming run`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import DREAM_STREAM, DreamJob
from somnia_embedder import Embedder, EmbedderSettings, create_embedder
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_grpc_runtime import GrpcServer, wait_for_shutdown_signal
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_telemetry import configure_tracing

from somnia_dreaming.checkpoints import InProcessCheckpoints, KvCheckpoints, RunCheckpoints
from somnia_dreaming.handlers import DreamRequestedHandler, JetStreamDreamEvents, register
from somnia_dreaming.jobs.consolidate import Consolidator
from somnia_dreaming.models import DreamRunState, DreamWindow
from somnia_dreaming.ports import DreamingGraph
from somnia_dreaming.runner import DreamRunner, EventSink, ProgressSink
from somnia_dreaming.settings import ConsolidationSettings, DreamingSettings, SuccessSettings
from somnia_dreaming.summarize import AbstractiveSummarizer, ExtractiveSummarizer, Summarizer

log = logging.getLogger("somnia.dreaming")


def create_summarizer(settings: ConsolidationSettings) -> Summarizer:
    extractive = ExtractiveSummarizer(settings.quote_chars)
    if not settings.llm_base_url:
        return extractive
    return AbstractiveSummarizer(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        fallback=extractive,
    )


@dataclass
class Stores:
    embedder: Embedder
    store: MemoryStore
    graph: DreamingGraph
    summarizer: Summarizer

    @classmethod
    async def open(cls) -> Stores:
        graph = open_graph_store(GraphStoreSettings())
        await graph.ensure_schema()
        return cls(
            await create_embedder(EmbedderSettings()),
            open_memory_store(MemoryStoreSettings()),
            graph,
            create_summarizer(ConsolidationSettings()),
        )

    def runner(self, checkpoints: RunCheckpoints, settings: DreamingSettings, events: EventSink | None) -> DreamRunner:
        consolidation = ConsolidationSettings()
        consolidator = Consolidator(
            self.store,
            self.graph,
            self.embedder,
            self.summarizer,
            quotes=consolidation.quotes_per_insight,
            topic_insights=consolidation.topic_insights,
            credible_level=SuccessSettings().credible_level,
        )
        return DreamRunner(self.graph, self.store, consolidator, checkpoints, settings, events=events)

    async def aclose(self) -> None:
        await self.summarizer.aclose()
        await self.graph.aclose()
        await self.embedder.aclose()
        await self.store.aclose()


class DreamingApp:
    def __init__(self, settings: DreamingSettings, stores: Stores, tracer_provider: TracerProvider | None = None):
        self.settings = settings
        self.stores = stores
        self.broker = create_broker(
            settings.nats_url,
            name="dreaming",
            tracer_provider=tracer_provider,
            graceful_timeout_s=settings.shutdown_grace_s,
        )
        self.handler: DreamRequestedHandler | None = None
        self.health = GrpcServer(
            host=settings.health_host, port=settings.health_port, services=[], tracer_provider=tracer_provider
        )

    async def start(self) -> None:
        await self.stores.store.check_embedder(self.stores.embedder.name, self.stores.embedder.dimension)
        await self.broker.connect()
        await ensure_streams(self.broker, DREAM_STREAM)
        checkpoints = KvCheckpoints(self.broker.connection.jetstream(), bucket=self.settings.runs_bucket)
        await checkpoints.open()
        events = JetStreamDreamEvents(JetStreamPublisher(self.broker))
        self.handler = DreamRequestedHandler(self.stores.runner(checkpoints, self.settings, events), self.settings)
        register(self.broker, self.handler, self.settings)
        await self.broker.start()
        port = await self.health.start()
        log.info("dreaming on %s; health on %s", DREAM_STREAM.name, port)

    async def stop(self) -> None:
        await self.health.stop()
        await close_broker(self.broker)
        await self.stores.aclose()


async def run_once(
    window: DreamWindow,
    run_id: str,
    jobs: tuple[DreamJob, ...],
    progress: ProgressSink,
    *,
    settings: DreamingSettings,
    bus: bool = True,
) -> DreamRunState:
    """One run. With the bus: checkpoints in NATS KV (resumable from anywhere) and events published;
    without: checkpoints in process and no events (for a machine with no NATS running)."""
    stores = await Stores.open()
    broker = create_broker(settings.nats_url, name="dreaming-run") if bus else None
    try:
        checkpoints: RunCheckpoints = InProcessCheckpoints()
        events: EventSink | None = None
        if broker is not None:
            await broker.connect()
            await ensure_streams(broker, DREAM_STREAM)
            kv = KvCheckpoints(broker.connection.jetstream(), bucket=settings.runs_bucket)
            await kv.open()
            checkpoints, events = kv, JetStreamDreamEvents(JetStreamPublisher(broker))
        runner = stores.runner(checkpoints, settings, events)
        return await runner.run(window, run_id, jobs, progress)
    finally:
        if broker is not None:
            await close_broker(broker)
        await stores.aclose()


async def serve() -> None:
    settings = DreamingSettings()
    app = DreamingApp(settings, await Stores.open(), configure_tracing("dreaming"))
    await app.start()
    await wait_for_shutdown_signal()
    await app.stop()


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve())
