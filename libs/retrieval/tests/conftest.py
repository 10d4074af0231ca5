"""The retrieval lib's tests rank against the shared test namespace (somnia_retrieval.testing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from somnia_extraction import OfflineExtractor
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_retrieval import RankingSettings, Retriever
from somnia_retrieval.testing import NS, T0, seed_namespace, turn_id

__all__ = ["NS", "World", "turn_id"]


@dataclass
class World:
    store: EmbeddedMemoryStore
    graph: EmbeddedGraphStore
    retriever: Retriever
    now: datetime


@pytest.fixture
async def world(tmp_path: Path, embedder) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    graph = EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    await seed_namespace(store, graph, embedder)
    retriever = Retriever(embedder, store, RankingSettings(), graph=graph, extractor=OfflineExtractor())
    yield World(store=store, graph=graph, retriever=retriever, now=T0 + timedelta(days=10))
    await store.aclose()
    await graph.aclose()
