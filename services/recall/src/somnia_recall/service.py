"""Recall: embed the query, run hybrid search, say why each item came back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from opentelemetry import trace
from somnia_contracts import memory_id_for
from somnia_graph_store import GraphStore
from somnia_memory_store import MemoryRecord, SearchFilter, SearchHit
from somnia_telemetry import attributes

from somnia_recall.ports import Embedder, MemoryStore

tracer = trace.get_tracer("somnia.recall")


class InvalidQuery(ValueError):
    """A query that cannot be answered; the message says what to fix."""


@dataclass(frozen=True)
class RecalledMemory:
    hit: SearchHit
    why: str


def explain(hit: SearchHit) -> str:
    reasons = []
    if hit.vector_rank:
        reasons.append(f"similar in meaning (vector rank {hit.vector_rank})")
    if hit.keyword_rank:
        reasons.append(f"shares keywords (BM25 rank {hit.keyword_rank})")
    return " and ".join(reasons) or "returned by hybrid search"


def matches(record: MemoryRecord, filter: SearchFilter | None) -> bool:
    """Whether a record passes a filter (for memories reached through the graph, not through search)."""
    if filter is None:
        return True
    checks = (
        (filter.session_ids, record.session_id),
        (filter.roles, record.role),
        (filter.kinds, record.kind),
        (filter.statuses, record.status),
    )
    if any(allowed and value not in allowed for allowed, value in checks):
        return False
    if filter.occurred_after is not None and record.occurred_at < filter.occurred_after:
        return False
    return not (filter.occurred_before is not None and record.occurred_at > filter.occurred_before)


class RecallService:
    """Hybrid search, then graph expansion: the turns next in time to the best hits join the ranking
    with a share of their neighbour's score, since an answer often sits right after the turn that
    matches the question's words."""

    def __init__(
        self,
        embedder: Embedder,
        store: MemoryStore,
        *,
        max_k: int,
        alpha: float,
        graph: GraphStore | None = None,
        expand_top: int = 5,
        neighbour_decay: float = 0.5,
    ) -> None:
        self._embedder = embedder
        self._store = store
        self._max_k = max_k
        self._alpha = alpha
        self._graph = graph
        self._expand_top = expand_top
        self._decay = neighbour_decay

    async def recall(
        self,
        namespace: str,
        query: str,
        *,
        k: int,
        alpha: float | None = None,
        filter: SearchFilter | None = None,
        expand_graph: bool = True,
    ) -> list[RecalledMemory]:
        if not query.strip():
            raise InvalidQuery("query is empty; send the question or topic to recall memories for")
        if not 1 <= k <= self._max_k:
            raise InvalidQuery(f"k={k} is out of range; ask for 1 to {self._max_k} items")
        weight = self._alpha if alpha is None else alpha
        if not 0.0 <= weight <= 1.0:
            raise InvalidQuery(f"alpha={weight} is out of range; use 0 (keywords only) to 1 (vectors only)")
        span = trace.get_current_span()
        span.set_attributes({attributes.NAMESPACE: namespace, attributes.QUERY_LENGTH: len(query)})
        with tracer.start_as_current_span("embedder.embed_query"):
            (vector,) = await self._embedder.embed([query])
        with tracer.start_as_current_span("memory_store.hybrid_search"):
            hits = await self._store.hybrid_search(namespace, query, vector, k, alpha=weight, filter=filter)
        memories = [RecalledMemory(hit=h, why=explain(h)) for h in hits]
        if expand_graph and self._graph is not None and memories:
            with tracer.start_as_current_span("graph.expand"):
                memories = await self._expand(namespace, memories, k, filter)
        span.set_attribute(attributes.RESULT_COUNT, len(memories))
        return memories

    async def _expand(
        self, namespace: str, memories: list[RecalledMemory], k: int, filter: SearchFilter | None
    ) -> list[RecalledMemory]:
        assert self._graph is not None
        seeds = memories[: self._expand_top]
        neighbours = await asyncio.gather(
            *(
                self._graph.turn_neighbours(namespace, s.hit.record.session_id, s.hit.record.turn_id, hops=1)
                for s in seeds
            )
        )
        best: dict[str, tuple[float, RecalledMemory]] = {}
        for seed, turn_ids in zip(seeds, neighbours, strict=True):
            for turn_id in turn_ids:
                memory_id = memory_id_for(namespace, seed.hit.record.session_id, turn_id, 0)
                score = seed.hit.score * self._decay
                if memory_id not in best or best[memory_id][0] < score:
                    best[memory_id] = (score, seed)
        by_id = {m.hit.record.memory_id: m for m in memories}
        fetched = {r.memory_id: r for r in await self._store.get(namespace, [i for i in best if i not in by_id])}
        for memory_id, (score, seed) in best.items():
            why = f"next in time to a matching turn ({seed.hit.record.turn_id}) in the graph"
            if memory_id in by_id:
                current = by_id[memory_id]
                if score > current.hit.score:
                    by_id[memory_id] = RecalledMemory(
                        current.hit.model_copy(update={"score": score}), f"{current.why}; {why}"
                    )
            elif memory_id in fetched and matches(fetched[memory_id], filter):
                by_id[memory_id] = RecalledMemory(SearchHit(record=fetched[memory_id], score=score), why)
        ranked = sorted(by_id.values(), key=lambda m: (-m.hit.score, m.hit.record.memory_id))
        return ranked[:k]
