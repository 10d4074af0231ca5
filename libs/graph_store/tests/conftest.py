"""The graph store fixture: one parameter per adapter, each backed by a real store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from somnia_graph_store import GraphStore
from somnia_graph_store.testing import wait_for_neo4j


@pytest.fixture
def ns() -> str:
    """A namespace of this test's own: one Neo4j serves the whole run."""
    return f"t{uuid.uuid4().hex[:12]}/agent/user"


@pytest.fixture(params=["embedded", "embedded-inline", "neo4j"])
async def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    """Embedded with its reads on worker threads, or inline on the event loop's thread as recall runs
    them; or a real Neo4j."""
    store: GraphStore
    if request.param.startswith("embedded"):
        from somnia_graph_store.embedded.store import EmbeddedGraphStore

        store = EmbeddedGraphStore(tmp_path / "graph.sqlite3", inline_reads=request.param == "embedded-inline")
        await store.ensure_schema()
        yield store
        await store.aclose()
        return
    from somnia_graph_store.neo4j.store import Neo4jGraphStore

    server = request.getfixturevalue("neo4j_server")
    store = Neo4jGraphStore(server.uri, user=server.user, password=server.password)
    await wait_for_neo4j(store)
    yield store
    await store.aclose()
