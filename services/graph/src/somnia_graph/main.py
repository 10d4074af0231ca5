"""graph's process: graph store, two durable consumers, and a gRPC health endpoint."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM, MemoryWithdrawn
from somnia_embedder import OFFLINE_EMBEDDERS, Embedder, EmbedderSettings, LazyEmbedder
from somnia_extraction import ChatEndpoint, Extractor, ExtractorSettings, create_extractor
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_service_runtime import ConsumerProcess
from somnia_service_runtime import run as run_service

from somnia_graph.dependencies import DependencyTracker
from somnia_graph.handlers import consumer_specs, create_consumer
from somnia_graph.judge import ContradictionJudge
from somnia_graph.ports import LinkingGraph
from somnia_graph.retraction import RetractionDetector
from somnia_graph.service import GraphLinker, SimilarityLinker
from somnia_graph.settings import GraphServiceSettings
from somnia_graph.speech_acts import SpeechActReader, shipped_models
from somnia_graph.supersession import SupersessionDetector


def create_speech_act_reader(settings: GraphServiceSettings) -> SpeechActReader | None:
    if settings.speech_act_threshold >= 1.0:
        return None
    return SpeechActReader(
        shipped_models(),
        threshold=settings.speech_act_threshold,
        withdrawing_threshold=settings.speech_act_withdrawing_threshold,
    )


def create_topic_embedder(settings: GraphServiceSettings) -> Embedder | None:
    """The store's offline embedder, loaded at the first retraction by topic or ending (never, in a process
    that sees none); none for an endpoint embedder (the retraction's own vector serves)."""
    embedder = EmbedderSettings()
    if not settings.embed_retraction_topics or embedder.kind not in OFFLINE_EMBEDDERS:
        return None
    return LazyEmbedder(embedder)


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
        self.topic_embedder = create_topic_embedder(settings)
        self.process = ConsumerProcess("graph", settings, (SESSION_STREAM, MEMORY_STREAM), tracer_provider)
        self.process.readiness.watch("the graph", store.reachable)
        if memories is not None:
            self.process.readiness.watch("the memory store", memories.reachable)
        self.broker, self.metrics = self.process.broker, self.process.metrics
        linker = GraphLinker(
            store,
            extractor,
            SimilarityLinker(memories, top=settings.similar_top, threshold=settings.similar_threshold)
            if memories is not None and settings.similar_top
            else None,
            SupersessionDetector(
                memories,
                min_cosine=settings.supersede_min_cosine,
                min_thread_cosine=settings.thread_min_cosine if settings.close_threads else None,
                judge=self.judge,
                judge_min_cosine=settings.judge_min_cosine,
            )
            if memories is not None and settings.detect_supersession
            else None,
            memory_store=memories,
            retraction=RetractionDetector(
                memories,
                speech_acts=create_speech_act_reader(settings),
                topics=self.topic_embedder,
                judge=self.judge,
            )
            if memories is not None and settings.detect_retractions
            else None,
            dependencies=DependencyTracker(memories, store, max_hops=settings.dependency_max_hops)
            if memories is not None and settings.track_dependencies
            else None,
            announce=self._announce,
        )
        self.consumer = create_consumer(linker, self.process.tracer, settings, self.metrics)
        self.process.consume(consumer_specs(settings), self.consumer.handle)

    async def _announce(self, withdrawn: Sequence[MemoryWithdrawn]) -> None:
        publisher = JetStreamPublisher(self.broker)
        for event in withdrawn:
            await publisher.publish_event(event)

    async def start(self) -> int:
        await self.store.ensure_schema()
        await self.process.connect()
        return await self.process.start()

    async def stop(self) -> None:
        await self.process.stop()
        await self.store.aclose()
        if self.extractor is not None:
            await self.extractor.aclose()
        if self.judge is not None:
            await self.judge.aclose()
        if self.topic_embedder is not None:
            await self.topic_embedder.aclose()
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


def run() -> None:
    run_service("graph", create_app, GraphServiceSettings)
