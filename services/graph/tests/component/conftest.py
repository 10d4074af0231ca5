"""The graph service's component tests: turns said in order, each stored, noded and linked as the
service links a `memory.indexed` event, on real embedded stores and the real embedder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import pytest
from somnia_contracts import MemoryIndexed, memory_id_for
from somnia_graph.service import GraphLinker
from somnia_graph_store import MemoryNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

# Small talk said between the facts: about nothing a question or a retraction is about.
FILLER = [
    "The weather was lovely on the walk this morning.",
    "I finished a crossword over breakfast.",
    "My neighbour's dog barked at the postman again.",
    "I tried a new recipe for lentil soup.",
    "The train was a few minutes late today.",
    "I watched a documentary about octopuses.",
]
# (session, text, day after the start, role)
Said = Sequence[tuple[str, str, int, str]]
Say = Callable[[str, Said, EmbeddedMemoryStore, EmbeddedGraphStore, GraphLinker, datetime], Awaitable[list[str]]]


@pytest.fixture
def say(embedder) -> Say:  # type: ignore[no-untyped-def]
    """Says each turn in order (turn n at `start` + its day + n minutes); returns the memory ids."""

    async def replay(
        namespace: str,
        said: Said,
        store: EmbeddedMemoryStore,
        graph: EmbeddedGraphStore,
        linker: GraphLinker,
        start: datetime,
    ) -> list[str]:
        vectors = await embedder.embed([text for _, text, _, _ in said])
        ids = []
        for n, (session, text, day, role) in enumerate(said):
            at = start + timedelta(days=day, minutes=n)
            memory_id = memory_id_for(namespace, session, f"t{n}", 0)
            ids.append(memory_id)
            record = MemoryRecord(
                memory_id=memory_id,
                namespace=namespace,
                text=text,
                session_id=session,
                turn_id=f"t{n}",
                role=role,
                occurred_at=at,
                recorded_at=at,
                embedder=embedder.name,
                vector=vectors[n],
            )
            await store.upsert([record])
            await graph.upsert_memories(
                [MemoryNode(namespace=namespace, session_id=session, turn_id=f"t{n}", memory_id=memory_id)]
            )
            indexed = MemoryIndexed(
                namespace=namespace,
                session_id=session,
                turn_id=f"t{n}",
                memory_ids=(memory_id,),
                embedder=embedder.name,
                dimension=embedder.dimension,
                occurred_at=at,
                indexed_at=at,
            )
            await linker.link([indexed])
        return ids

    return replay
