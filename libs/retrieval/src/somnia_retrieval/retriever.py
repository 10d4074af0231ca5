"""Recall's pipeline: hybrid retrieval -> graph expansion -> rerank with diversity.

Token packing happens at the edge (the RPC), since only the caller knows its budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt
from opentelemetry import trace
from somnia_contracts import archive_namespace
from somnia_embedder import Embedder
from somnia_extraction import Extraction, Extractor
from somnia_graph_store import FeedbackCounts, TurnRef, UseHistory
from somnia_memory_model import ABSENCE_PREFIX, DREAMT_KINDS
from somnia_memory_store import MemoryStore, SearchFilter, SearchHit
from somnia_reranker import Reranker
from somnia_telemetry import attributes

from somnia_retrieval.bridging import Bridger
from somnia_retrieval.cpu_wait import CpuWait
from somnia_retrieval.expansion import GraphExpander
from somnia_retrieval.models import (
    AbsenceSignal,
    Candidate,
    InvalidQuery,
    RankedMemory,
    RecallAnswer,
    UnknownNamespace,
)
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.rerank import ScoredPool, pick, score_pool
from somnia_retrieval.settings import RankingSettings
from somnia_retrieval.standing import StandingReader
from somnia_retrieval.subjects import about_someone_else
from somnia_retrieval.tiers import merge_tiers

tracer = trace.get_tracer("somnia.retrieval")
# After the cross-encoder times out or fails, answers go without it for this long, instead of each
# waiting out the timeout again.
RERANKER_PAUSE_S = 10.0
log = logging.getLogger(__name__)
EXTRACTION_CACHE_SIZE = 4096


def search_path(hit: SearchHit) -> str:
    reasons = []
    if hit.vector_rank:
        reasons.append(f"similar in meaning (vector rank {hit.vector_rank})")
    if hit.keyword_rank:
        reasons.append(f"shares keywords (BM25 rank {hit.keyword_rank})")
    return " and ".join(reasons) or "returned by hybrid search"


class Retriever:
    def __init__(
        self,
        embedder: Embedder,
        store: MemoryStore,
        settings: RankingSettings,
        *,
        max_k: int = 100,
        graph: RankingGraph | None = None,
        extractor: Extractor | None = None,
        reranker: Reranker | None = None,
        cpu_wait: Callable[[], float | None] | None = None,
    ) -> None:
        self._embedder = embedder
        self._reranker = reranker
        # The cross-encoder reads only on spare capacity: while few answers are in flight in this
        # process, and while its threads get a core without waiting long (cpu_wait.py).
        self._answering = 0
        local = reranker is not None and reranker.local  # an endpoint does not take this machine's cores
        self._cpu_wait = cpu_wait if cpu_wait is not None else (CpuWait().share if local else None)
        # A cross-encoder reading that outlived its timeout, and a pause after a failure.
        self._cross_overdue: asyncio.Future[list[float]] | None = None
        self._cross_paused_until = 0.0
        self._store = store
        self._graph = graph
        self._extractor = extractor
        self._settings = settings
        self._max_k = max_k
        self._expander = GraphExpander(graph, store, settings) if graph is not None else None
        self._standing = StandingReader(graph, store, settings) if graph is not None else None
        self._bridger = Bridger(store, settings)
        self._extractions: dict[tuple[str, date], Extraction] = {}

    @property
    def max_k(self) -> int:
        """The most items one answer may hold."""
        return self._max_k

    async def answer(
        self,
        namespace: str,
        query: str,
        *,
        k: int,
        alpha: float | None = None,
        filter: SearchFilter | None = None,
        expand_graph: bool | None = None,
        as_of: datetime | None = None,
        include_archived: bool = False,
        now: datetime | None = None,
        valid_at: datetime | None = None,
        include_retracted: bool = False,
        timeline: bool = False,
    ) -> RecallAnswer:
        """Recall's whole answer: the k best memories (the cold archive merged in when asked) and whether
        memory seems to hold the answer at all. The query is embedded once for all of it. With `timeline`
        the k best come in the order they happened (oldest first), for "where have I lived, in order?"."""
        self._check(query, k)
        self._answering += 1
        try:
            vector = await self.embed_query(query)

            async def ranked(partition: str | None = None) -> list[RankedMemory]:
                return await self.recall(
                    namespace,
                    query,
                    k=k,
                    alpha=alpha,
                    filter=filter,
                    expand_graph=expand_graph,
                    as_of=as_of,
                    now=now,
                    partition=partition,
                    vector=vector,
                    valid_at=valid_at,
                    include_retracted=include_retracted,
                    # A timeline lists an attribute's values: a plan one of them made current is no value.
                    with_plans=not timeline,
                    # The cold tier is merged by its own rule (tiers.py): one reading, of the hot one.
                    cross_encode=partition is None,
                )

            if include_archived:
                # The cold archive is a partition of its own: searched apart, then merged (tiers.py).
                tiers: dict[str, list[RankedMemory]] = {}
                for tier, partition in (("hot", None), ("cold", archive_namespace(namespace))):
                    with suppress(UnknownNamespace):  # an empty tier
                        tiers[tier] = await ranked(partition)
                if not tiers:
                    raise UnknownNamespace(f"namespace {namespace} holds no memories, hot or archived")
                memories = merge_tiers(vector, tiers.get("hot", []), tiers.get("cold", []), k)
            else:
                memories = await ranked()
            absence = await self.assess(query, memories, now, vector=vector)
            if timeline:
                memories = sorted(memories, key=lambda m: (m.record.occurred_at, m.record.memory_id))
            return RecallAnswer(memories, absence)
        finally:
            self._answering -= 1

    async def recall(
        self,
        namespace: str,
        query: str,
        *,
        k: int,
        alpha: float | None = None,
        filter: SearchFilter | None = None,
        expand_graph: bool | None = None,
        as_of: datetime | None = None,
        now: datetime | None = None,
        partition: str | None = None,
        vector: npt.NDArray[np.float32] | None = None,
        valid_at: datetime | None = None,
        include_retracted: bool = False,
        cross_encode: bool = True,
        with_plans: bool = True,
    ) -> list[RankedMemory]:
        """The k best memories for `query`. `as_of` keeps only memories recorded by then and measures
        recency from then; `now` is the clock (for tests and replays). `partition` searches another
        store partition of the namespace (its cold archive): the graph is not partitioned, so what it
        knows (statuses, feedback, uses, provenance) still applies, but its neighbours in time are hot
        and are not expanded to. `vector` is the query's, when the caller has embedded it already.
        `valid_at` asks what held at that time in the world (the conversation's own time): only memories
        said by then, and only the changes said by then, with recency measured from then. Memories their
        speaker took back are left out unless `include_retracted` (they come back flagged).
        `cross_encode` false ranks without the cross-encoder (the warm pack's many searches).
        `with_plans` false leaves out the plans that recalled news made current (a timeline's values)."""
        self._check(query, k)
        weight = self._settings.alpha if alpha is None else alpha
        if not 0.0 <= weight <= 1.0:
            raise InvalidQuery(f"alpha={weight} is out of range; use 0 (keywords only) to 1 (vectors only)")
        clock = now or datetime.now(UTC)
        if as_of is not None:
            if as_of > clock:
                raise InvalidQuery(
                    f"as_of={as_of.isoformat()} is in the future; memory can only say what was known up to now"
                )
            filter = (filter or SearchFilter()).model_copy(update={"recorded_before": as_of})
        if valid_at is not None:
            if valid_at > clock:
                raise InvalidQuery(
                    f"valid_at={valid_at.isoformat()} is in the future; ask about a time that has passed"
                )
            before = filter.occurred_before if filter is not None else None
            bound = valid_at if before is None else min(before, valid_at)
            filter = (filter or SearchFilter()).model_copy(update={"occurred_before": bound})
        span = trace.get_current_span()
        span.set_attributes({attributes.NAMESPACE: namespace, attributes.QUERY_LENGTH: len(query)})
        expand = (
            self._expander is not None
            and partition is None
            and (self._settings.graph_expansion if expand_graph is None else expand_graph)
        )
        with tracer.start_as_current_span("retrieval.embed_and_extract"):
            vectors, extraction = await asyncio.gather(
                self._embedder.embed([query]) if vector is None else _given(vector),
                self._extract(query, clock) if expand else _no_extraction(),
            )
        vector = vectors[0]
        pool_size = min(max(k * self._settings.candidate_factor, self._settings.min_candidates), 1000)
        with tracer.start_as_current_span("memory_store.hybrid_search"):
            hits = await self._store.hybrid_search(
                partition or namespace, query, vector, pool_size, alpha=weight, filter=filter
            )
        if not hits and await self._store.count(partition or namespace) == 0:
            where = f"partition {partition} of namespace {namespace}" if partition else f"namespace {namespace}"
            raise UnknownNamespace(f"{where} holds no memories; capture some turns into it first")
        pool = {
            h.record.memory_id: Candidate(record=h.record, relevance=h.score, hit=h, paths=[search_path(h)])
            for h in hits
        }
        if expand and pool:
            assert self._expander is not None
            with tracer.start_as_current_span("graph.expand"):
                await self._expander.expand(namespace, pool, vector, extraction.keys, filter)
        if self._settings.bridge_seeds and pool and partition is None:
            with tracer.start_as_current_span("retrieval.bridge"):
                await self._bridger.bridge(namespace, pool, vector, filter)
        if self._settings.entity_boost and extraction.entities:
            boost_named(pool, extraction, self._settings.entity_boost)
        # The graph's reads about the pool go out together: each is an independent lookup.
        _, _, (feedback, uses) = await asyncio.gather(
            self._boost_patterns(namespace, pool),
            self._standing.apply(
                namespace,
                pool,
                filter=filter,
                as_of=as_of,
                valid_at=valid_at,
                include_withdrawn=include_retracted,
                bring_causes=partition is None,
                bring_plans=with_plans,
            )
            if self._standing is not None
            else _nothing(),
            self._feedback_and_uses(namespace, list(pool)),
        )
        with tracer.start_as_current_span("retrieval.rerank"):
            scored = score_pool(
                list(pool.values()),
                now=valid_at or as_of or clock,
                feedback=feedback,
                settings=self._settings,
                uses=uses,
            )
            if cross_encode:
                await self._cross_read(query, scored)
            ranked = pick(scored, k=k, settings=self._settings, follow_plans=with_plans)
        ranked = await self._with_provenance(namespace, ranked)
        span.set_attribute(attributes.RESULT_COUNT, len(ranked))
        return ranked

    async def _cross_read(self, query: str, scored: ScoredPool) -> None:
        """The cross-encoder's reading of the head, when one is configured and answers in time."""
        s = self._settings
        if self._reranker is None or not s.rerank_top or len(scored.ordered) < 2:
            return
        head = scored.head(s.rerank_top)
        with tracer.start_as_current_span("reranker.score") as span:
            span.set_attribute("somnia.reranker.model", self._reranker.name)
            if self._answering > s.rerank_max_in_flight:
                # Other answers are in flight: under load a recall is ranked without the model rather
                # than queued behind it, so throughput and latency hold and only the order degrades.
                span.set_attribute("somnia.reranker.skipped", "busy")
                return
            waiting = self._cpu_wait() if self._cpu_wait is not None else None
            if waiting is not None and waiting > s.rerank_max_cpu_wait:
                # The cores are taken (capture, embedding, other services): the model would take them
                # from work that cannot be skipped.
                span.set_attribute("somnia.reranker.skipped", "cpu")
                span.set_attribute("somnia.reranker.cpu_wait", waiting)
                return
            now = time.monotonic()
            if (self._cross_overdue is not None and not self._cross_overdue.done()) or now < self._cross_paused_until:
                # A reading that timed out is still running, or the model failed moments ago.
                span.set_attribute("somnia.reranker.skipped", "paused")
                return
            run = asyncio.ensure_future(self._reranker.score(query, [c.record.text for c in head]))
            try:
                read = await asyncio.wait_for(asyncio.shield(run), timeout=s.rerank_timeout_s)
            except Exception as exc:  # a slow or failing model costs the order, never the answer
                self._cross_paused_until = now + RERANKER_PAUSE_S
                if not run.done():
                    self._cross_overdue = run  # no new reading starts until this one ends
                run.add_done_callback(_consume)
                span.set_attribute("somnia.reranker.skipped", type(exc).__name__)
                reason = str(exc) or type(exc).__name__
                log.warning("reranker %s skipped for %.0f s: %s", self._reranker.name, RERANKER_PAUSE_S, reason)
                return
        scored.blend_cross(read, s.rerank_share)

    def _check(self, query: str, k: int) -> None:
        if not query.strip():
            raise InvalidQuery("query is empty; send the question or topic to recall memories for")
        if not 1 <= k <= self._max_k:
            raise InvalidQuery(f"k={k} is out of range; ask for 1 to {self._max_k} items")

    async def assess(
        self,
        query: str,
        ranked: list[RankedMemory],
        now: datetime | None = None,
        *,
        vector: npt.NDArray[np.float32] | None = None,
    ) -> AbsenceSignal:
        """Does memory seem to hold the answer? Search scores are normalised per query, so something
        always ranks first; the raw cosine of the best item and whether the top items name what the
        query names say whether it is an answer or only the least distant memory."""
        if vector is None:
            vector = await self.embed_query(query)
        best = max((float(m.record.vector @ vector) for m in ranked), default=0.0)
        extraction = await self._extract(query, now or datetime.now(UTC))
        names = {e.key for e in extraction.entities if e.kind != "time"}
        top = " ".join(m.record.text.lower() for m in ranked[:3])
        coverage = sum(1 for key in names if key in top) / len(names) if names else 1.0
        # Whose fact: close memories about someone other than the one asked about are not the answer.
        depth = self._settings.absent_subject_depth
        elsewhere = bool(depth) and about_someone_else(query, [m.record.text for m in ranked[:depth]])
        absent = (
            best < self._settings.absent_below_match or coverage < self._settings.absent_below_coverage or elsewhere
        )
        # Someone already looked and found nothing: a recorded absence near the query says so outright.
        checked = any(
            m.record.kind == "negative"
            and m.record.text.startswith(ABSENCE_PREFIX)
            and float(m.record.vector @ vector) >= self._settings.absent_below_match
            for m in ranked[:3]
        )
        return AbsenceSignal(best_match=best, entity_coverage=coverage, may_be_absent=absent or checked)

    async def nearest(
        self, namespace: str, text: str, k: int, *, vector: npt.NDArray[np.float32] | None = None
    ) -> list[SearchHit]:
        """Vector search alone: the memories closest in meaning to `text` (no keywords, no graph);
        `vector` is the text's, when the caller has embedded it already."""
        return await self._store.vector_search(
            namespace, vector if vector is not None else await self.embed_query(text), k
        )

    async def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = (await self._embedder.embed([text]))[0]
        return vector

    async def _extract(self, query: str, said_at: datetime) -> Extraction:
        """The query's entities; remembered per query and day, since agents and warming repeat queries."""
        if self._extractor is None:
            return Extraction()
        key = (query, said_at.date())
        found = self._extractions.get(key)
        if found is None:
            (found,) = await self._extractor.extract([query], [said_at])
            if len(self._extractions) >= EXTRACTION_CACHE_SIZE:
                self._extractions.pop(next(iter(self._extractions)))
            self._extractions[key] = found
        return found

    async def _with_provenance(self, namespace: str, ranked: list[RankedMemory]) -> list[RankedMemory]:
        dreamt = [m.record.memory_id for m in ranked if m.record.kind in DREAMT_KINDS]
        if not dreamt or self._graph is None:
            return ranked
        sources = await self._graph.insight_sources(namespace, dreamt)
        return [replace(m, derived_from=tuple(sources.get(m.record.memory_id, ()))) for m in ranked]

    async def _boost_patterns(self, namespace: str, pool: dict[str, Candidate]) -> None:
        """Raise memories whose turns realise a pattern by how surely that pattern succeeds."""
        if self._graph is None or not self._settings.pattern_weight or not pool:
            return
        refs = {
            c.record.memory_id: TurnRef(session_id=c.record.session_id, turn_id=c.record.turn_id) for c in pool.values()
        }
        success = await self._graph.pattern_success(namespace, list(refs.values()))
        for memory_id, ref in refs.items():
            lower = success.get(ref)
            if lower:
                pool[memory_id].success = lower
                pool[memory_id].relevance *= 1.0 + self._settings.pattern_weight * lower
                pool[memory_id].paths.append(f"part of a mined pattern that works (success at least {lower:.0%})")

    async def _feedback_and_uses(
        self, namespace: str, memory_ids: list[str]
    ) -> tuple[dict[str, FeedbackCounts], dict[str, UseHistory]]:
        if self._graph is None or not memory_ids:
            return {}, {}
        feedback, uses = await asyncio.gather(
            self._graph.feedback_counts(namespace, memory_ids),
            self._graph.memory_uses(namespace, memory_ids) if self._settings.strength_weight else _no_uses(),
        )
        return feedback, uses


def boost_named(pool: dict[str, Candidate], extraction: Extraction, weight: float) -> None:
    """Memories that name what the query names (people, places, topics; not days) rank higher, by the
    share of the query's entities they mention; common names still tell whose memory it is."""
    names = [e for e in extraction.entities if e.kind != "time"]
    if not names:
        return
    for candidate in pool.values():
        text = candidate.record.text.lower()
        matched = [e.name for e in names if e.key in text]
        if matched:
            candidate.relevance *= 1.0 + weight * len(matched) / len(names)
            candidate.paths.append(f"names {', '.join(repr(m) for m in matched)} from the query")


async def _given(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A vector the caller embedded, shaped as the embedder returns one."""
    return vector.reshape(1, -1)


async def _no_extraction() -> Extraction:
    return Extraction()


async def _no_uses() -> dict[str, UseHistory]:
    return {}


async def _nothing() -> None:
    return None


def _consume(run: asyncio.Future[list[float]]) -> None:
    """A reading nobody waits for any more: its outcome is dropped (and not reported as never retrieved)."""
    if not run.cancelled():
        run.exception()
