"""dreaming's processes: a consumer of `dream.requested` (a Deployment), and one run from the command
line (the chart's CronJob and `somnia dream` both call `python -m somnia_dreaming run`)."""

from __future__ import annotations

from faststream.nats import NatsBroker
from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import DREAM_STREAM, MEMORY_STREAM, DreamJob
from somnia_parametric import AdapterRegistry
from somnia_service_runtime import ConsumerProcess
from somnia_service_runtime import run as run_service
from somnia_stores import Stores
from somnia_tokens import TokenizerSettings, create_token_counter

from somnia_dreaming.checkpoints import InProcessCheckpoints, KvCheckpoints, RunCheckpoints
from somnia_dreaming.handlers import DreamRunCounter, JetStreamDreamEvents, consumer_specs, create_consumer
from somnia_dreaming.jobs.consolidate import Consolidator
from somnia_dreaming.models import DreamRunState, DreamWindow
from somnia_dreaming.parametric.launchers import create_launcher
from somnia_dreaming.parametric.promote import ParametricSettings, Promoter
from somnia_dreaming.runner import DreamRunner, EventSink, ProgressSink
from somnia_dreaming.settings import ConsolidationSettings, DreamingSettings, DreamSettings
from somnia_dreaming.summarize import AbstractiveSummarizer, ExtractiveSummarizer, Summarizer


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


def create_promoter(stores: Stores, registry: AdapterRegistry | None) -> Promoter:
    """The promotion rule and its trainer, from SOMNIA_PARAMETRIC_* (without a registry it only explains)."""
    settings = ParametricSettings.from_env()
    tokens = create_token_counter(TokenizerSettings())
    return Promoter(stores.store, stores.graph, tokens, create_launcher(settings.launcher), settings, registry)


async def open_registry(broker: NatsBroker) -> AdapterRegistry:
    registry = AdapterRegistry(broker.connection.jetstream())
    await registry.open()
    return registry


def create_runner(
    stores: Stores,
    summarizer: Summarizer,
    settings: DreamSettings,
    checkpoints: RunCheckpoints,
    events: EventSink | None,
    announcer: JetStreamPublisher | None = None,
    promoter: Promoter | None = None,
) -> DreamRunner:
    """`announcer` publishes the insights' memory.indexed, so the graph service links them."""
    consolidator = Consolidator(
        stores.store,
        stores.graph,
        stores.embedder,
        summarizer,
        quotes=settings.consolidation.quotes_per_insight,
        topic_insights=settings.consolidation.topic_insights,
        credible_level=settings.success.credible_level,
        announcer=announcer,
    )
    return DreamRunner(
        stores.graph, stores.store, consolidator, checkpoints, settings, events=events, promoter=promoter
    )


class DreamingApp:
    def __init__(
        self,
        settings: DreamSettings,
        stores: Stores,
        summarizer: Summarizer,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.summarizer = summarizer
        self.process = ConsumerProcess("dreaming", settings.service, (DREAM_STREAM, MEMORY_STREAM), tracer_provider)
        self.process.readiness.watch("the memory store", stores.store.reachable)
        self.process.readiness.watch("the graph", stores.graph.reachable)
        self.broker = self.process.broker
        self.runs = DreamRunCounter()

    async def start(self) -> int:
        await self.stores.check_embedder()
        await self.process.connect()
        checkpoints = KvCheckpoints(self.broker.connection.jetstream(), bucket=self.settings.service.runs_bucket)
        await checkpoints.open()
        publisher = JetStreamPublisher(self.broker)
        promoter = create_promoter(self.stores, await open_registry(self.broker))
        runner = create_runner(
            self.stores,
            self.summarizer,
            self.settings,
            checkpoints,
            JetStreamDreamEvents(publisher),
            publisher,
            promoter,
        )
        consumer = create_consumer(runner, self.process.tracer, self.settings.service, self.runs)
        self.process.consume(consumer_specs(self.settings.service), consumer.handle)
        return await self.process.start()

    async def stop(self) -> None:
        await self.process.stop()
        await self.summarizer.aclose()
        await self.stores.aclose()


async def create_app(settings: DreamingSettings, tracer_provider: TracerProvider | None = None) -> DreamingApp:
    dream = DreamSettings.from_env(settings)
    return DreamingApp(
        dream, await Stores.open(lazy_embedder=True), create_summarizer(dream.consolidation), tracer_provider
    )


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
    dream = DreamSettings.from_env(settings)
    stores = await Stores.open(lazy_embedder=True)
    summarizer = create_summarizer(dream.consolidation)
    broker = create_broker(settings.nats_url, name="dreaming-run") if bus else None
    try:
        checkpoints: RunCheckpoints = InProcessCheckpoints()
        events: EventSink | None = None
        publisher: JetStreamPublisher | None = None
        registry: AdapterRegistry | None = None
        if broker is not None:
            await broker.connect()
            await ensure_streams(broker, DREAM_STREAM, MEMORY_STREAM)
            kv = KvCheckpoints(broker.connection.jetstream(), bucket=settings.runs_bucket)
            await kv.open()
            publisher = JetStreamPublisher(broker)
            checkpoints, events = kv, JetStreamDreamEvents(publisher)
            registry = await open_registry(broker)
        promoter = create_promoter(stores, registry)
        runner = create_runner(stores, summarizer, dream, checkpoints, events, publisher, promoter)
        return await runner.run(window, run_id, jobs, progress)
    finally:
        if broker is not None:
            await close_broker(broker)
        await summarizer.aclose()
        await stores.aclose()


def run() -> None:
    run_service("dreaming", create_app, DreamingSettings)
