"""recall's process: embedder for queries, store, gRPC server."""

from __future__ import annotations

import asyncio
import logging

from opentelemetry.trace import TracerProvider
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_embedder import Embedder, EmbedderSettings, create_embedder
from somnia_graph_store import GraphStore, GraphStoreSettings, open_graph_store
from somnia_grpc_runtime import GrpcServer, ServiceBinding, wait_for_shutdown_signal
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_telemetry import configure_tracing, create_metrics, serve_metrics
from somnia_tokens import TokenizerSettings, create_token_counter

from somnia_recall.service import RecallService
from somnia_recall.servicer import RecallServicer
from somnia_recall.settings import RecallSettings

log = logging.getLogger("somnia.recall")


class RecallApp:
    def __init__(
        self,
        settings: RecallSettings,
        embedder: Embedder,
        store: MemoryStore,
        tracer_provider: TracerProvider | None = None,
        graph: GraphStore | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = create_metrics()
        self.embedder = embedder
        self.store = store
        self.graph = graph
        self.service = RecallService(
            embedder,
            store,
            max_k=settings.max_k,
            alpha=settings.alpha,
            graph=graph if settings.graph_expansion else None,
            expand_top=settings.expand_top,
            neighbour_decay=settings.neighbour_decay,
        )
        self.server = GrpcServer(
            host=settings.host,
            port=settings.port,
            services=[
                ServiceBinding(
                    name=recall_pb2.DESCRIPTOR.services_by_name["RecallService"].full_name,
                    servicer=RecallServicer(
                        self.service,
                        default_k=settings.default_k,
                        max_query_chars=settings.max_query_chars,
                        metrics=self.metrics,
                        tokens=create_token_counter(TokenizerSettings()),
                        max_token_budget=settings.max_token_budget,
                    ),
                    add=recall_pb2_grpc.add_RecallServiceServicer_to_server,
                )
            ],
            tracer_provider=tracer_provider,
            grace_s=settings.shutdown_grace_s,
        )

    async def start(self) -> int:
        # Queries embedded by another model than the stored vectors would match nothing sensible.
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)
        port = await self.server.start()
        serve_metrics(self.metrics, self.settings.metrics_port)
        log.info("recall serving gRPC on %s:%s with %s", self.settings.host, port, self.embedder.name)
        return port

    async def stop(self) -> None:
        await self.server.stop()
        if self.graph is not None:
            await self.graph.aclose()
        await self.embedder.aclose()
        await self.store.aclose()


async def create_app(settings: RecallSettings, tracer_provider: TracerProvider | None = None) -> RecallApp:
    embedder = await create_embedder(EmbedderSettings())
    graph = open_graph_store(GraphStoreSettings()) if settings.graph_expansion else None
    return RecallApp(settings, embedder, open_memory_store(MemoryStoreSettings()), tracer_provider, graph)


async def serve() -> None:
    app = await create_app(RecallSettings(), configure_tracing("recall"))
    await app.start()
    await wait_for_shutdown_signal()
    await app.stop()


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve())
