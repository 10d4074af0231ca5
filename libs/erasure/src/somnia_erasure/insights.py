"""The insights that quote an erased memory: rewritten from their other quotes, or deleted when none is
left (or, when a subject is forgotten, when their headline names it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from somnia_embedder import Embedder
from somnia_memory_model import extractive_insight, headline_of
from somnia_memory_store import MemoryStore

from somnia_erasure.partitions import get_any
from somnia_erasure.ports import ErasureGraph


@dataclass
class Rewritten:
    deleted: int = 0
    rebuilt: int = 0
    # The rewritten insights: they no longer quote what was erased, so they stay.
    kept: set[str] = field(default_factory=set)


class InsightRewriter:
    def __init__(self, store: MemoryStore, graph: ErasureGraph, embedder: Embedder) -> None:
        self._store, self._graph, self._embedder = store, graph, embedder

    async def rewrite(self, namespace: str, erased: list[str], *, drop_headlines_with: str) -> Rewritten:
        """Insights that quote an erased memory are rewritten from their other quotes, or deleted when
        none is left (or, for a subject, when their headline names it). Returns what it did."""
        gone = set(erased)
        done = Rewritten()
        for group in await self._graph.insights_citing(namespace, erased):
            remaining = [s for s in group.sources if s not in gone]
            kept = await get_any(self._store, namespace, remaining) if remaining else []
            found = await self._store.get(namespace, [group.insight_memory_id])
            current = found[0] if found else None
            named = (
                bool(drop_headlines_with)
                and current is not None
                and (drop_headlines_with.lower() in headline_of(current.text).lower())
            )
            if current is None or not kept or named:
                await self._store.delete(namespace, [group.insight_memory_id])
                await self._graph.set_group_insight(namespace, group.label, group.group_id, "", [])
                done.deleted += 1
                continue
            kept.sort(key=lambda r: r.occurred_at)
            text = extractive_insight(headline_of(current.text), kept)
            (vector,) = await self._embedder.embed([text])
            await self._store.upsert(
                [
                    current.model_copy(
                        update={
                            "text": text,
                            "vector": vector,
                            "occurred_at": kept[-1].occurred_at,
                            "recorded_at": datetime.now(UTC),
                        }
                    )
                ]
            )
            await self._graph.set_group_insight(
                namespace, group.label, group.group_id, group.insight_memory_id, [r.memory_id for r in kept]
            )
            done.rebuilt += 1
            done.kept.add(group.insight_memory_id)
        return done
