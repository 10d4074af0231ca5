"""Recall: embed the query, run hybrid search, say why each item came back."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import trace
from somnia_memory_store import SearchFilter, SearchHit
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


class RecallService:
    def __init__(self, embedder: Embedder, store: MemoryStore, *, max_k: int, alpha: float) -> None:
        self._embedder = embedder
        self._store = store
        self._max_k = max_k
        self._alpha = alpha

    async def recall(
        self,
        namespace: str,
        query: str,
        *,
        k: int,
        alpha: float | None = None,
        filter: SearchFilter | None = None,
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
        span.set_attribute(attributes.RESULT_COUNT, len(hits))
        return [RecalledMemory(hit=h, why=explain(h)) for h in hits]
