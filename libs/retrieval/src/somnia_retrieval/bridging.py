"""Multi-hop recall without an LLM: a second retrieval round seeded by what the first one found.

A question that needs two facts ("where did Caroline move from?": one turn says she moved from her home
country, another that her home country is Sweden) often matches only the first fact. The second fact
is close to the first one's words, not the question's. So each of the best first-round memories seeds
a search of its own, for the question and that memory together (the normalised sum of the two vectors),
and what a seed brings joins the pool with half the seed's relevance at most (bridge_weight, scaled by
its closeness in that search). A memory several seeds reach gains from each, so one that three seeds
agree on can rise above any one of them: agreement across seeds is the bridge.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from somnia_memory_store import MemoryStore, SearchFilter

from somnia_retrieval.filters import matches
from somnia_retrieval.models import Candidate
from somnia_retrieval.settings import RankingSettings


class Bridger:
    """The second round: seeds from the pool, one vector probe each, what they reach added to the pool."""

    def __init__(self, store: MemoryStore, settings: RankingSettings) -> None:
        self._store = store
        self._settings = settings

    async def bridge(
        self,
        namespace: str,
        pool: dict[str, Candidate],
        query_vector: npt.NDArray[np.float32],
        filter: SearchFilter | None,
    ) -> None:
        """Add the second round's memories to `pool`, or raise the ones already in it."""
        s = self._settings
        seeds = sorted(pool.values(), key=lambda c: -c.relevance)[: s.bridge_seeds]
        if not seeds:
            return
        query = _unit(query_vector)
        probes = np.vstack([_unit(query + s.bridge_seed_weight * _unit(seed.record.vector)) for seed in seeds])
        found = await self._store.nearest_ids(namespace, probes.astype(np.float32), s.bridge_limit + 1)
        offers: dict[str, list[tuple[float, str]]] = {}
        for seed, neighbours in zip(seeds, found, strict=True):
            if not neighbours:
                continue
            cosines = np.asarray([cosine for _, cosine in neighbours], dtype=np.float64)
            low, high = float(cosines.min()), float(cosines.max())
            span = high - low if high > low else 1.0
            for memory_id, cosine in neighbours:
                if memory_id == seed.record.memory_id:
                    continue
                closeness = (cosine - low) / span
                share = s.bridge_weight * seed.relevance * closeness
                offers.setdefault(memory_id, []).append((share, f"bridged from a match ({seed.record.turn_id})"))
        missing = [m for m in offers if m not in pool]
        records = {r.memory_id: r for r in await self._store.get(namespace, missing)} if missing else {}
        for memory_id, shares in offers.items():
            relevance = sum(share for share, _ in shares)
            path = max(shares)[1]
            if memory_id in pool:
                pool[memory_id].reach(relevance, path, spread=True)
            elif memory_id in records and matches(records[memory_id], filter):
                pool[memory_id] = Candidate(record=records[memory_id], relevance=relevance, paths=[path])


def _unit(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    flat = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(flat))
    return flat / norm if norm else flat
