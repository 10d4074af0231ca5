"""Graph expansion: memories the search missed but the graph ties to what it found or to the query.

Three paths, each with a share of relevance that says how much the tie is worth:
- next in time: the turns around a seed hit (an answer often follows the turn that matches the words);
- SIMILAR_TO: memories linked to a seed at ingest by vector similarity (the same thing said elsewhere);
- same entity: turns that mention a specific entity of the query (a name, a topic, a day), weighted by
  how specific the entity is (IDF) and how close the memory is to the query.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from somnia_contracts import memory_id_for
from somnia_graph_store import EntityTurns, TurnRef
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter

from somnia_retrieval.filters import matches
from somnia_retrieval.models import Candidate
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.settings import RankingSettings

TURN_COUNT_TTL_S = 60.0


def specificity(mentions: int, turns: int) -> float:
    """IDF scaled to 0..1: 1 for an entity in one turn of many, 0 for one in every turn."""
    if turns <= 1:
        return 1.0
    return max(0.0, math.log((turns + 1) / (mentions + 1)) / math.log(turns + 1))


class GraphExpander:
    def __init__(self, graph: RankingGraph, store: MemoryStore, settings: RankingSettings) -> None:
        self._graph = graph
        self._store = store
        self._settings = settings
        self._turn_counts: dict[str, tuple[float, int]] = {}

    async def expand(
        self,
        namespace: str,
        pool: dict[str, Candidate],
        query_vector: npt.NDArray[np.float32],
        entity_keys: Sequence[str],
        filter: SearchFilter | None,
    ) -> None:
        """Add the graph's candidates to `pool` (keyed by memory id), or raise a found one's relevance."""
        s = self._settings
        seeds = sorted(pool.values(), key=lambda c: -c.relevance)[: s.expand_top]
        proposals: dict[str, list[tuple[float, str]]] = {}

        def propose(memory_id: str, relevance: float, path: str) -> None:
            proposals.setdefault(memory_id, []).append((relevance, path))

        neighbours, similar, entities = await asyncio.gather(
            self._neighbours_by_distance(namespace, seeds),
            self._graph.similar_memories(namespace, [c.record.memory_id for c in seeds], s.similar_limit)
            if s.similar_limit and s.similar_decay
            else _nothing(),
            self._graph.entity_turns(namespace, entity_keys, s.entity_limit)
            if entity_keys and s.entity_limit and s.entity_weight
            else _nothing_list(),
        )
        for seed, by_distance in zip(seeds, neighbours, strict=True):
            for turn_id, distance in by_distance.items():
                propose(
                    memory_id_for(namespace, seed.record.session_id, turn_id, 0),
                    seed.relevance * s.neighbour_decay**distance,
                    f"next in time to a matching turn ({seed.record.turn_id})"
                    if distance == 1
                    else f"{distance} turns from a matching turn ({seed.record.turn_id})",
                )
        for seed in seeds:
            for other, score in similar.get(seed.record.memory_id, []):
                # Only what search missed: a similar memory already found would be counted twice for
                # saying the same thing, crowding out different evidence.
                if other not in pool:
                    propose(other, seed.relevance * s.similar_decay * score, f"similar to a match ({score:.2f})")
        entity_weights: dict[str, list[tuple[float, str]]] = {}
        if entities:
            turns = await self._turn_count(namespace)
            for found in entities:
                weight = specificity(found.mentions, turns)
                if weight < s.min_entity_specificity:
                    continue
                for ref in found.turns:
                    memory_id = memory_id_for(namespace, ref.session_id, ref.turn_id, 0)
                    entity_weights.setdefault(memory_id, []).append((weight, found.key))

        wanted = [m for m in {*proposals, *entity_weights} if m not in pool]
        records = {r.memory_id: r for r in await self._store.get(namespace, wanted)} if wanted else {}
        closeness = self._closeness(pool, records, query_vector)
        for memory_id, weights in entity_weights.items():
            weight, key = max(weights)
            propose(
                memory_id,
                s.entity_weight * weight * closeness.get(memory_id, 0.0),
                f"mentions '{key}' from the query (specificity {weight:.2f})",
            )
        for memory_id, offers in proposals.items():
            relevance, path = max(offers)
            if s.spread:
                relevance = sum(r for r, _ in offers)
            if memory_id in pool:
                pool[memory_id].reach(relevance, path, spread=s.spread)
            elif memory_id in records and matches(records[memory_id], filter):
                pool[memory_id] = Candidate(record=records[memory_id], relevance=relevance, paths=[path])

    async def _neighbours_by_distance(self, namespace: str, seeds: list[Candidate]) -> list[dict[str, int]]:
        """For each seed: the turn ids within `neighbour_hops` of it, each with its distance in turns."""
        hops = self._settings.neighbour_hops
        if not hops or not seeds:
            return [{} for _ in seeds]
        turns = [TurnRef(session_id=c.record.session_id, turn_id=c.record.turn_id) for c in seeds]
        return await self._graph.turn_distances(namespace, turns, hops)

    @staticmethod
    def _closeness(
        pool: dict[str, Candidate], records: dict[str, MemoryRecord], query_vector: npt.NDArray[np.float32]
    ) -> dict[str, float]:
        """Cosine to the query, scaled to the range the search's own candidates span (0..1)."""
        query = query_vector / (np.linalg.norm(query_vector) or 1.0)
        ids = [*pool, *(m for m in records if m not in pool)]
        matrix = np.vstack([pool[m].record.vector if m in pool else records[m].vector for m in ids]).astype(np.float32)
        cosines = matrix @ query / np.maximum(np.linalg.norm(matrix, axis=1), 1e-12)
        known = cosines[: len(pool)]
        low, high = (float(known.min()), float(known.max())) if len(known) else (0.0, 1.0)
        span = high - low if high > low else 1.0
        scaled = np.clip((cosines - low) / span, 0.0, 1.0)
        return {m: float(v) for m, v in zip(ids, scaled, strict=True)}

    async def _turn_count(self, namespace: str) -> int:
        cached = self._turn_counts.get(namespace)
        if cached is not None and time.monotonic() - cached[0] < TURN_COUNT_TTL_S:
            return cached[1]
        count = await self._graph.count(namespace, "Turn")
        self._turn_counts[namespace] = (time.monotonic(), count)
        return count


async def _nothing() -> dict[str, list[tuple[str, float]]]:
    return {}


async def _nothing_list() -> list[EntityTurns]:
    return []
