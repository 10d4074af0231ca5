from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from somnia_graph_store import GraphStore
from somnia_graph_store.embedded.store import EmbeddedGraphStore


@pytest.fixture(params=["embedded"])
async def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    store = EmbeddedGraphStore(tmp_path / "graph.sqlite3")
    await store.ensure_schema()
    yield store
    await store.aclose()
