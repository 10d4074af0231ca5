"""The stores a service that reads and writes memories opens: the embedder, the memory store and the graph.
Dreaming and forgetting both open all three (as processes and as one-shot command-line runs)."""

from __future__ import annotations

from dataclasses import dataclass

from somnia_embedder import Embedder, EmbedderSettings, create_embedder
from somnia_graph_store import GraphStore, GraphStoreSettings, open_graph_store
from somnia_memory_store import MemoryStore, MemoryStoreSettings, open_memory_store

from somnia_stores.reindexing import settings_for_store


@dataclass
class Stores:
    embedder: Embedder
    store: MemoryStore
    graph: GraphStore

    @classmethod
    async def open(
        cls,
        embedder: EmbedderSettings | None = None,
        store: MemoryStoreSettings | None = None,
        graph: GraphStoreSettings | None = None,
        *,
        lazy_embedder: bool = False,
    ) -> Stores:
        """Open each store from its settings (from the environment when not given); the graph's schema is
        ensured, and the store must hold vectors of this embedder. `lazy_embedder` loads the default
        model only when something is first embedded."""
        opened_graph = open_graph_store(graph or GraphStoreSettings())
        await opened_graph.ensure_schema()
        memories = open_memory_store(store or MemoryStoreSettings())
        # The store's own model when `somnia reindex` moved it (read at start; a swap while this
        # process runs makes its writes refused until it restarts).
        model = await settings_for_store(embedder or EmbedderSettings(), memories)
        return cls(await create_embedder(model, lazy=lazy_embedder), memories, opened_graph)

    async def check_embedder(self) -> None:
        """Refuse to start rather than mix two models' vectors in one index."""
        await self.store.check_embedder(self.embedder.name, self.embedder.dimension)

    async def aclose(self) -> None:
        await self.graph.aclose()
        await self.embedder.aclose()
        await self.store.aclose()
