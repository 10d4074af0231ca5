"""The memory store fixtures: one parameter per adapter, each backed by a real store."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from somnia_memory_store import MemoryStore

StoreFactory = Callable[[], MemoryStore]


def weaviate_store(server: Any, collection: str) -> Any:
    """A client of the test run's Weaviate on `collection` (a new name is a new, empty store)."""
    from somnia_memory_store.weaviate.store import WeaviateMemoryStore

    return WeaviateMemoryStore(
        http_host=server.host,
        http_port=server.http_port,
        grpc_host=server.host,
        grpc_port=server.grpc_port,
        collection=collection,
        api_key=server.api_key,
    )


@pytest.fixture(params=["embedded", "embedded-inline", "weaviate"])
async def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Opens clients on one fresh store: a new SQLite file (its reads on worker threads, or inline on
    the event loop's thread as recall runs them), or a new collection on a real Weaviate."""
    opened: list[MemoryStore] = []
    if request.param.startswith("embedded"):
        from somnia_memory_store.embedded.store import EmbeddedMemoryStore

        inline = request.param == "embedded-inline"

        def factory() -> MemoryStore:
            opened.append(EmbeddedMemoryStore(tmp_path / "memories.sqlite3", inline_reads=inline))
            return opened[-1]
    else:
        server = request.getfixturevalue("weaviate_server")
        collection = f"Test{uuid.uuid4().hex[:12]}"

        def factory() -> MemoryStore:
            opened.append(weaviate_store(server, collection))
            return opened[-1]

    yield factory
    for store in opened:
        with contextlib.suppress(Exception):  # a test may have closed it already
            await store.aclose()


@pytest.fixture
def store(store_factory: StoreFactory) -> MemoryStore:
    return store_factory()
