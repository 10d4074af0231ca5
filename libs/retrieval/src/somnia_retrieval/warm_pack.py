"""The warm pack: what a session will probably need, in four layers under token budgets.

One pool of candidates is gathered: the opening's recall and its nearest memories, the namespace's
profile (its most salient memories, `profile.py`), the agent's recent sessions, memories that continue
the last conversation's topics, the strategic words (BM25) and the predicted tools. Each candidate is
scored once by how likely a later session needs it: its salience (what it tells: a statement about the
speaker, an event or plan anchored in time) plus half its closeness to the opening (`pack_pool.py`).
Layers then claim from that ranking:
- L1 immediate: the tail of the current conversation (or, for a new one, of the agent's last session);
- L4 strategic: what the agent's last pack held there and still holds, in the same order (a stable
  prefix for a prompt cache), then mined procedures and pitfalls (dreaming; failed attempts and
  absences the forgetting service recorded) for the predicted tools and the opening, then the pool;
- L3 domain: insights dreaming consolidated near the opening and topics, then the pool, then memories
  that name the predicted tools;
- L2 session: the rest of the pool, then the agent's recent sessions, newest first.

A memory sits in one layer only. The conversation's tail (L1) is claimed first, being certain; then the
most stable layers claim theirs (L4, L3, L2). What a layer leaves of its budget passes to the next
(`carried`), so the pack's total never exceeds the sum of the budgets and a short tail does not waste
its share. The pack is rendered L4, L3, L2, L1, and within L4 what was kept comes first, then the rest
in the order it was said (new facts land at its end), so a provider's prompt cache can reuse the
prefix across sessions. Each layer's rendered text, header included, is counted with the real
tokenizer and kept within its budget plus what it carried in.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field
from somnia_contracts import memory_id_for
from somnia_extraction import OfflineExtractor
from somnia_graph_store import WITHDRAWN_STATUSES
from somnia_memory_model import DREAMT_KINDS, NEGATIVE
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, SearchHit, scan_all
from somnia_tokens import TokenCounter
from somnia_warm_packs import LayerName, PackItem, PackLayer, WarmPack

from somnia_retrieval.models import RankedMemory, UnknownNamespace
from somnia_retrieval.pack_pool import Pool, predictive, reason
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.profile import Profiles
from somnia_retrieval.rerank import TRUSTED
from somnia_retrieval.retriever import Retriever

LAYER_ORDER: tuple[LayerName, ...] = ("L4", "L3", "L2", "L1")
CLAIM_ORDER: tuple[LayerName, ...] = ("L1", "L4", "L3", "L2")
DEFAULT_BUDGETS: dict[LayerName, int] = {"L1": 8_000, "L2": 24_000, "L3": 64_000, "L4": 32_000}
HEADERS: dict[LayerName, str] = {
    "L4": "## L4 strategic: what lasts about the people and the work, procedures, pitfalls",
    "L3": "## L3 domain: standing knowledge for this kind of work",
    "L2": "## L2 session: related memories and recent sessions",
    "L1": "## L1 immediate: the conversation so far",
}
# Words that strategic statements use: preferences, goals, decisions, rules, lessons, failures.
# (FTS stems them: "preferences" finds "prefer", "plans" finds "plan".)
STRATEGIC_QUERY = "prefer always never goal plan decided decision rule lesson mistake failed avoid"
# What dreaming writes (semantic insights for L3, procedural patterns for L4) enters a pack only through
# its own searches and share of the budget: the pool leaves it out (after the searches: a kind filter
# inside them costs more over 100,000 memories than the few items it removes).
# What L4 reads once a minute and ranks in process: dreamt items, and negative memories (failed
# attempts, absences), which join procedures as pitfalls when they name the session's tools or words.
STANDING = SearchFilter(kinds=(*DREAMT_KINDS, NEGATIVE))
DREAMT_PER_LAYER = 10
# How far back the agent's sessions are read to find the one before the session being warmed.
PREVIOUS_LOOKBACK = 50
# A namespace holds a few hundred dreamt items at most; beyond this many, the oldest ids are not read.
MAX_DREAMT = 2000


class WarmRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    agent: str = ""
    opening: str = ""
    tools: tuple[str, ...] = ()
    budgets: dict[LayerName, int] = Field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    # Memories the caller's model already carries (its live adapters): never packed, their budget goes
    # to others.
    exclude: frozenset[str] = frozenset()
    # The L4 of the agent's previous pack, in its order: what still holds is kept first and in the same
    # order, so the rendered prefix a provider's prompt cache holds stays byte-identical.
    previous: tuple[str, ...] = ()


PITFALLS_HEADER = "### Pitfalls: tried before, and failed"
# A layer's candidate: the memory, its score, and why it would be in the pack (or how to say so).
LayerCandidate = tuple[MemoryRecord, float, str | Callable[[], str]]
# A verdict that makes a memory no longer true (superseded memories are found through the graph too):
# such a memory stays out of L2-L4. One that is only uncertain or downgraded may stay, with its status.
NOT_HOLDING = frozenset({"disproven", *WITHDRAWN_STATUSES})


def is_pitfall(record: MemoryRecord) -> bool:
    """Negative knowledge, and the procedures dreaming found to fail mostly."""
    return record.kind == "negative" or (record.kind == "procedural" and record.text.startswith("Pitfall"))


class Renderable(Protocol):
    """A memory as a pack line shows it: a record, or an item already packed."""

    @property
    def occurred_at(self) -> datetime: ...
    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...


# A pack line is at least "- [YYYY-MM-DD role] x" and a newline: when less is left, nothing more fits.
MIN_LINE_TOKENS = 8


class TokenCosts:
    """Token counts of memories' pack lines and texts, kept by (memory id, text hash) across builds: a
    pack counts hundreds of lines, mostly the same ones build after build. No text is kept."""

    def __init__(self, tokens: TokenCounter, size: int = 200_000) -> None:
        self._tokens = tokens
        self._size = size
        self._held: dict[tuple[str, int, bool], int] = {}

    def line(self, record: MemoryRecord) -> int:
        return self._count(record, line=True)

    def text(self, record: MemoryRecord) -> int:
        return self._count(record, line=False)

    def _count(self, record: MemoryRecord, *, line: bool) -> int:
        key = (record.memory_id, hash((record.text, record.occurred_at, record.role)), line)
        found = self._held.get(key)
        if found is None:
            if len(self._held) >= self._size:
                self._held.clear()
            text = render_line(record) + "\n" if line else record.text
            found = self._held[key] = self._tokens.count(text)
        return found


def to_pack_item(
    record: MemoryRecord,
    score: float,
    why: str,
    tokens: int,
    *,
    status: str | None = None,
    derived_from: tuple[str, ...] = (),
) -> PackItem:
    """A memory as a pack (or a live-wake delta) hands it out; `status` when later knowledge set one."""
    r = record
    # Validated, not model_construct: pydantic's validator is the faster of the two for a model of
    # plain fields (4.4 against 7.2 us an item, some 700 items a pack at 100,000 memories).
    return PackItem(
        memory_id=r.memory_id,
        text=r.text,
        kind=r.kind,
        status=status or r.status,
        session_id=r.session_id,
        turn_id=r.turn_id,
        role=r.role,
        chunk_index=r.chunk_index,
        embedder=r.embedder,
        occurred_at=r.occurred_at,
        recorded_at=r.recorded_at,
        score=score,
        tokens=tokens,
        why=why,
        derived_from=derived_from,
    )


def render_line(record: Renderable) -> str:
    return f"- [{record.occurred_at.date().isoformat()} {record.role}] {record.text.strip()}"


class QueryVectors:
    """One build's query vectors: each distinct text is embedded once (the opening is recalled and, when
    the conversation has no topics yet, also the text insights are matched against)."""

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever
        self._vectors: dict[str, asyncio.Task[npt.NDArray[np.float32]]] = {}

    async def of(self, text: str) -> npt.NDArray[np.float32]:
        task = self._vectors.get(text)
        if task is None:
            task = self._vectors[text] = asyncio.create_task(self._retriever.embed_query(text))
        return await task


class WarmPackBuilder:
    def __init__(
        self,
        retriever: Retriever,
        store: MemoryStore,
        graph: RankingGraph | None,
        tokens: TokenCounter,
        *,
        recent_sessions: int = 3,
        related_k: int = 40,
        predicted_tools: int = 5,
        min_relevance: float = 0.3,
        topic_turns: int = 10,
        strategic_ttl_s: float = 60.0,
        dreamt_share: float = 0.25,
        insight_min_cosine: float = 0.35,
        pool_k: int = 200,
        profiles: Profiles | None = None,
        l4_refresh: float = 0.25,
    ) -> None:
        self._retriever = retriever
        self._store = store
        self._graph = graph
        self._tokens = tokens
        self._recent_sessions = recent_sessions
        self._related_k = related_k
        self._predicted_tools = predicted_tools
        self._min_relevance = min_relevance
        self._topic_turns = topic_turns
        self._strategic_ttl_s = strategic_ttl_s
        self._dreamt_share = dreamt_share
        self._insight_min_cosine = insight_min_cosine
        self._pool_k = pool_k
        self._l4_refresh = l4_refresh
        self._profiles = profiles or Profiles(store, ttl_s=strategic_ttl_s)
        self._strategic_cache: dict[str, tuple[float, list[SearchHit]]] = {}
        self._dreamt_cache: dict[str, tuple[float, list[MemoryRecord]]] = {}
        self._topic_extractor = OfflineExtractor(max_keyphrases=8, times=False)
        self._costs = TokenCosts(tokens)

    async def build(self, request: WarmRequest, now: datetime | None = None) -> WarmPack:
        """Raises UnknownNamespace when the namespace holds no memories at all."""
        started = time.perf_counter()
        clock = now or datetime.now(UTC)
        ns = request.namespace
        vectors = QueryVectors(self._retriever)
        recent, tools = await self._agent_context(request)
        tails_task = asyncio.gather(*(self._session_tail(ns, sid) for sid in [request.session_id, *recent]))
        # One full recall for the opening (free text; with graph expansion, which kept about 3 more points
        # of hit rate on the LoCoMo replay than without, for about 7 ms); tools and the strategic words are
        # literal, so BM25 alone finds them, and the recent topics need only their meaning (one vector
        # search).
        recalls = asyncio.gather(
            self._recall(ns, request.opening, self._related_k, clock, vectors),
            self._keywords(ns, " ".join(tools), 30),
            self._strategic(ns),
            self._procedures(ns, [*tools, request.opening]),
        )
        tails = await tails_task
        current_tail, recent_tails = tails[0], tails[1:]
        if not current_tail and recent_tails:  # a new session resumes where the agent's last one ended
            current_tail, recent_tails = recent_tails[0], recent_tails[1:]
        immediate = current_tail
        topics = await self._topics(immediate)
        searched = await asyncio.gather(
            recalls,
            self._nearest(ns, " ".join(topics), 50, vectors),
            self._nearest(ns, request.opening, self._pool_k, vectors),
            self._insights(ns, " ".join([request.opening, *topics]), vectors),
            self._profiles.of(ns),
            self._kept(ns, request),
        )
        (related, tool_related, strategic, procedures), continuing, opening_near, insights, profile, kept = searched
        strategic, procedures, insights, profile = await self._fresh(ns, strategic, procedures, insights, profile)
        held = {r.memory_id for r in immediate}
        read = [
            *(m.record for m in related),
            *(h.record for h in (*opening_near, *continuing, *strategic, *tool_related)),
            *(r for tail in tails for r in tail),
        ]
        self._profiles.observe(ns, profile, read)
        # What later knowledge replaced or took back leaves before repeats are pooled: a plan made again
        # in the same words after the first was reported done is a new thread, not a repeat of a closed one.
        considered = [*read, *profile, *kept, *(r for r, _ in procedures), *(r for r, _ in insights)]
        stale = await self._no_longer_holding(ns, list({r.memory_id for r in considered}))
        pool = Pool.of(
            [*read, *profile],
            held | stale,
            opening=await vectors.of(request.opening) if request.opening.strip() else None,
            topics=await vectors.of(" ".join(topics)) if topics else None,
            recalled={m.record.memory_id: m.relevance for m in related},
        )
        about = "the opening" if request.opening.strip() else f"recent topics ({', '.join(topics)})"
        ranked = [(p, predictive(p)) for p in pool.ranked(predictive)]
        candidates: dict[LayerName, list[LayerCandidate]] = {
            "L4": [(r, 1.0, "kept from the agent's last pack: still holds") for r in kept]
            + [
                (r, score, "tried before with these tools or words" if r.kind == "negative" else "mined procedure")
                for r, score in procedures
            ]
            + [(p.record, score, partial(reason, p, about, "stable")) for p, score in ranked],
            "L3": [
                (r, score, f"dreamt insight near the opening and topics (cosine {score:.2f})") for r, score in insights
            ]
            + [(p.record, score, partial(reason, p, about, "domain")) for p, score in ranked],
            # The tools' BM25 hits and the recent sessions are in the pool: ranked with the rest.
            "L2": [(p.record, score, partial(reason, p, about, "session")) for p, score in ranked],
            "L1": [(r, 0.0, "the conversation's tail") for r in reversed(immediate)],
        }
        # The conversation's tail is what was said, as said; every other layer holds current values only.
        for name in ("L4", "L3", "L2"):
            candidates[name] = [c for c in candidates[name] if c[0].memory_id not in stale]
        kept = [r for r in kept if r.memory_id not in stale]
        dreamt = [r.memory_id for layer in candidates.values() for r, _, _ in layer if r.kind in DREAMT_KINDS]
        sources = await self._graph.insight_sources(ns, dreamt) if dreamt and self._graph is not None else {}
        claimed: set[str] = set(request.exclude)
        packed: dict[LayerName, PackLayer] = {}
        carried = 0  # what the layers claimed before could not fill: the next one may use it
        for name in CLAIM_ORDER:
            fresh = [c for c in candidates[name] if c[0].memory_id not in claimed]
            budget = request.budgets.get(name, DEFAULT_BUDGETS[name])
            first = {r.memory_id: n for n, r in enumerate(kept)} if name == "L4" else {}
            packed[name] = self._pack(name, budget, fresh, sources, carried=carried, first=first)
            carried = budget + carried - packed[name].tokens
            claimed.update(item.memory_id for item in packed[name].items)
        layers = [packed[name] for name in LAYER_ORDER]
        # Counting a namespace costs a scan; only an empty pack needs to know whether it is empty.
        if not any(layer.items for layer in layers) and await self._store.count(ns) == 0:
            raise UnknownNamespace(f"namespace {ns} holds no memories yet; nothing to warm a session with")
        rendered = "\n\n".join(layer.rendered for layer in layers if layer.items)
        return WarmPack(
            namespace=ns,
            session_id=request.session_id,
            agent=request.agent,
            layers=tuple(layers),
            rendered=rendered,
            tokens=sum(layer.tokens for layer in layers),
            tokenizer=self._tokens.name,
            built_at=clock,
            build_ms=(time.perf_counter() - started) * 1000.0,
        )

    def forget_namespace(self, namespace: str) -> None:
        """Something in the namespace was erased: drop what this builder holds of it (the profile, the
        strategic and dreamt candidates), so no copy outlives the erasure in memory either."""
        self._profiles.forget(namespace)
        self._strategic_cache.pop(namespace, None)
        self._dreamt_cache.pop(namespace, None)

    async def previous_session(self, request: WarmRequest) -> str | None:
        """The agent's latest session before this one, whose pack this one continues."""
        if self._graph is None or not request.agent:
            return None
        sessions = await self._graph.agent_sessions(request.namespace, request.agent, PREVIOUS_LOOKBACK)
        if request.session_id not in sessions:  # a session not started through capture: the latest
            return sessions[0] if sessions else None
        after = sessions.index(request.session_id) + 1  # newest first: the one started before it
        return sessions[after] if after < len(sessions) else None

    async def _agent_context(self, request: WarmRequest) -> tuple[list[str], list[str]]:
        """The agent's recent sessions (not this one) and its tools: given ones first, then most used."""
        if self._graph is None or not request.agent:
            return [], list(request.tools)
        sessions, used = await asyncio.gather(
            self._graph.agent_sessions(request.namespace, request.agent, self._recent_sessions + 1),
            self._graph.agent_tools(request.namespace, request.agent, self._predicted_tools),
        )
        recent = [s for s in sessions if s != request.session_id][: self._recent_sessions]
        tools = list(dict.fromkeys([*request.tools, *(t for t, _ in used)]))[: self._predicted_tools]
        return recent, tools

    async def _topics(self, tail: Sequence[MemoryRecord]) -> list[str]:
        """What the conversation was about lately: keyphrases of its last turns, as one query."""
        text = "\n".join(r.text for r in tail[-self._topic_turns :])
        if not text.strip():
            return []
        (found,) = await self._topic_extractor.extract([text], [None])
        return [e.name for e in found.entities]

    async def _strategic(self, namespace: str) -> list[SearchHit]:
        """L4's candidates are the same for every session of a namespace until memory changes, and a
        search over every memory for a dozen common words is the slowest part of a build: reuse them
        for `strategic_ttl_s`."""
        cached = self._strategic_cache.get(namespace)
        if cached is not None and time.monotonic() - cached[0] < self._strategic_ttl_s:
            return cached[1]
        hits = await self._keywords(namespace, STRATEGIC_QUERY, 30)
        self._strategic_cache[namespace] = (time.monotonic(), hits)
        return hits

    async def _nearest(self, namespace: str, text: str, k: int, vectors: QueryVectors) -> list[SearchHit]:
        if not text.strip():
            return []
        return await self._retriever.nearest(namespace, text, k, vector=await vectors.of(text))

    async def _fresh(
        self,
        namespace: str,
        strategic: list[SearchHit],
        procedures: list[tuple[MemoryRecord, float]],
        insights: list[tuple[MemoryRecord, float]],
        profile: list[MemoryRecord],
    ) -> tuple[list[SearchHit], list[tuple[MemoryRecord, float]], list[tuple[MemoryRecord, float]], list[MemoryRecord]]:
        """What came from a cache is read again by id before it goes into a pack: a memory forgotten, an
        insight rewritten or a status changed since must not come back from a minute-old copy."""
        ids = [h.record.memory_id for h in strategic] + [r.memory_id for r, _ in [*procedures, *insights]]
        ids += [r.memory_id for r in profile]
        if not ids:
            return strategic, procedures, insights, profile
        now = {r.memory_id: r for r in await self._store.get(namespace, ids)}
        return (
            [h.model_copy(update={"record": now[h.record.memory_id]}) for h in strategic if h.record.memory_id in now],
            [(now[r.memory_id], score) for r, score in procedures if r.memory_id in now],
            [(now[r.memory_id], score) for r, score in insights if r.memory_id in now],
            [now[r.memory_id] for r in profile if r.memory_id in now],
        )

    async def _no_longer_holding(self, namespace: str, memory_ids: list[str]) -> set[str]:
        """Of `memory_ids`, those later knowledge replaced, disproved or took back: a pack holds current
        values only (Recall shows the rest, flagged, when asked)."""
        if self._graph is None or not memory_ids:
            return set()
        replaced, judged = await asyncio.gather(
            self._graph.superseded(namespace, memory_ids), self._graph.verdicts(namespace, memory_ids)
        )
        return set(replaced) | {m for m, verdict in judged.items() if verdict.status in NOT_HOLDING}

    async def _kept(self, namespace: str, request: WarmRequest) -> list[MemoryRecord]:
        """The previous pack's L4 that still holds (not forgotten, not superseded or taken back), in its
        order, up to the share of L4 that stays fixed; the rest of L4 is chosen afresh."""
        if not request.previous:
            return []
        found = {r.memory_id: r for r in await self._store.get(namespace, list(request.previous))}
        budget = int((1.0 - self._l4_refresh) * request.budgets.get("L4", DEFAULT_BUDGETS["L4"]))
        kept, used = [], self._tokens.count(HEADERS["L4"] + "\n")
        for memory_id in request.previous:
            r = found.get(memory_id)
            if r is None or r.status not in TRUSTED or memory_id in request.exclude:
                continue
            used += self._costs.line(r)
            if used > budget:
                break
            kept.append(r)
        return kept

    async def _dreamt(self, namespace: str) -> list[MemoryRecord]:
        """What dreaming wrote (insights, procedures): few, and the same for a minute, so they are read
        once and ranked here rather than searched for among every memory of the namespace."""
        cached = self._dreamt_cache.get(namespace)
        if cached is not None and time.monotonic() - cached[0] < self._strategic_ttl_s:
            return cached[1]
        records = [r async for r in scan_all(self._store, namespace, STANDING, limit=MAX_DREAMT)]
        self._dreamt_cache[namespace] = (time.monotonic(), records)
        return records

    async def _insights(self, namespace: str, text: str, vectors: QueryVectors) -> list[tuple[MemoryRecord, float]]:
        """Insights whose cosine to the opening and topics reaches the bar, closest first."""
        insights = [r for r in await self._dreamt(namespace) if r.kind == "semantic"]
        if not insights or not text.strip():
            return []
        vector = await vectors.of(text)
        scored = [(r, float(r.vector @ vector)) for r in insights]
        near = [pair for pair in scored if pair[1] >= self._insight_min_cosine]
        return sorted(near, key=lambda pair: -pair[1])[:DREAMT_PER_LAYER]

    async def _procedures(self, namespace: str, about: Sequence[str]) -> list[tuple[MemoryRecord, float]]:
        """Procedures and pitfalls (failing procedures, negative memories) that name the predicted tools or
        the opening's words, most named first."""
        procedures = [r for r in await self._dreamt(namespace) if r.kind in ("procedural", "negative")]
        words = {w for text in about for w in re.findall(r"[a-z0-9_]{3,}", text.lower())}
        if not procedures or not words:
            return []
        scored = [(r, float(len(words & set(re.findall(r"[a-z0-9_]{3,}", r.text.lower()))))) for r in procedures]
        return sorted((pair for pair in scored if pair[1] > 0), key=lambda pair: -pair[1])[:DREAMT_PER_LAYER]

    async def _keywords(self, namespace: str, query: str, k: int) -> list[SearchHit]:
        if not query.strip():
            return []
        return await self._store.keyword_search(namespace, query, k)

    async def _recall(
        self, namespace: str, query: str, k: int, now: datetime, vectors: QueryVectors
    ) -> list[RankedMemory]:
        if not query.strip():
            return []
        try:
            vector = await vectors.of(query)
            found = await self._retriever.recall(
                namespace, query, k=min(k, 100), now=now, vector=vector, cross_encode=False
            )
        except UnknownNamespace:
            return []
        return [m for m in found if m.relevance >= self._min_relevance]

    async def _session_tail(self, namespace: str, session_id: str) -> list[MemoryRecord]:
        """A session's memories in conversation order (first chunk of each turn)."""
        if self._graph is None or not session_id:
            return []
        turn_ids = await self._graph.session_turns(namespace, session_id)
        ids = [memory_id_for(namespace, session_id, t, 0) for t in turn_ids]
        found = {r.memory_id: r for r in await self._store.get(namespace, ids)} if ids else {}
        return [found[i] for i in ids if i in found]

    def _pack(
        self,
        name: LayerName,
        budget: int,
        candidates: Sequence[LayerCandidate],
        sources: dict[str, list[str]],
        *,
        carried: int = 0,
        first: dict[str, int] | None = None,
    ) -> PackLayer:
        """Candidates in order while they fit `budget` plus what earlier layers left unused (`carried`);
        `first` (L4) are kept from the last pack and rendered first, in their order there."""
        header = HEADERS[name]
        budget += carried
        used = self._tokens.count(header + "\n")
        chosen: list[tuple[MemoryRecord, float, str, int]] = []
        seen: set[str] = set()
        dreamt, dreamt_budget = 0, int(self._dreamt_share * budget)
        for record, score, why in candidates:
            if budget - used < MIN_LINE_TOKENS:
                break  # nothing more fits
            if record.memory_id in seen:
                continue
            cost = self._costs.line(record)
            is_dreamt = record.kind in DREAMT_KINDS
            if used + cost > budget or (is_dreamt and dreamt + cost > dreamt_budget):
                continue
            seen.add(record.memory_id)
            # A pooled memory's reason is written only once it is chosen (hundreds are ranked per layer).
            chosen.append((record, score, why if isinstance(why, str) else why(), cost))
            used += cost
            dreamt += cost if is_dreamt else 0
        if name == "L1":  # a conversation reads in order; the tail was packed newest first
            chosen.reverse()
        elif name == "L4":
            # The strategic layer opens the pack: in the order things were said, what the next session
            # adds lands at its end, so the rendered prefix stays byte-identical for a prompt cache.
            kept_at = first or {}
            chosen.sort(
                key=lambda c: (
                    (0, kept_at[c[0].memory_id], c[0].occurred_at, "")
                    if c[0].memory_id in kept_at
                    else (1, 0, c[0].occurred_at, c[0].memory_id)
                )
            )

        def lines_of(picked: Sequence[tuple[MemoryRecord, float, str, int]]) -> list[str]:
            pitfalls = [r for r, _, _, _ in picked if name == "L4" and is_pitfall(r)]
            lines = [header, *(render_line(r) for r, _, _, _ in picked if not (name == "L4" and is_pitfall(r)))]
            if pitfalls:  # what was tried and failed, apart, so an agent reads it as a warning
                lines += [PITFALLS_HEADER, *(render_line(r) for r in pitfalls)]
            return lines

        lines = lines_of(chosen)
        # The layer's exact count (the pitfalls header is not budgeted, and a tokenizer may count joined
        # text apart from its parts); drop until it fits. Each round drops lines worth the excess before
        # counting again. A tokenizer whose lines add up counts the layer from its lines' kept counts:
        # encoding the whole layer again was ~10 ms of a build at 100k memories.
        tokens = self._tokens.count_lines(lines)
        while chosen and tokens > budget:
            dropped = 0
            while chosen and dropped < tokens - budget:
                _, _, _, line_tokens = chosen.pop(0 if name == "L1" else -1)
                dropped += line_tokens
            lines = lines_of(chosen)
            tokens = self._tokens.count_lines(lines)
        rendered = "\n".join(lines)
        items = tuple(
            to_pack_item(r, score, why, self._costs.text(r), derived_from=tuple(sources.get(r.memory_id, ())))
            for r, score, why, _ in chosen
        )
        return PackLayer(
            layer=name,
            budget=budget - carried,
            carried=carried,
            tokens=tokens if items else 0,
            items=items,
            rendered=rendered if items else "",
        )
