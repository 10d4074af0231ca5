"""Consolidate: turn each procedural pattern, knowledge community and context cluster into an insight
memory (its headline and its sources) that is embedded, indexed and recallable like any memory.

Procedures (tool sequences, problem -> resolution) become `procedural` memories for L4, worded as a
pitfall when they mostly fail; recurring topics (what was said of one subject across sessions),
communities and clusters become `semantic` memories for L3. An insight's
id comes from its group's stable id, so a rerun rewrites it in place. Its provenance (the memories it
quotes) is kept on its Pattern or Community node. The write is all or nothing: when the store or the
graph fails part-way, the insights this attempt created are deleted again and the error is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from somnia_contracts import insight_memory_id, memory_id_for
from somnia_embedder import Embedder
from somnia_extraction import OfflineExtractor
from somnia_graph_store import CommunityNode, PatternNode, TurnRef
from somnia_memory_model import EventAnnouncer, MemoryWriter
from somnia_memory_store import MemoryRecord, MemoryStore

from somnia_dreaming.ports import DreamingGraph
from somnia_dreaming.summarize import Summarizer

log = logging.getLogger("somnia.dreaming")

INSIGHT_SESSION = "dream"
INSIGHT_ROLE = "system"
PROCEDURAL_KINDS = ("tool_sequence", "problem_resolution")
EMBED_BATCH = 8


@dataclass(frozen=True)
class Insight:
    record: MemoryRecord
    source: str
    layer: Literal["L3", "L4"]
    sources: tuple[str, ...]


@dataclass
class Consolidated:
    insights: list[Insight]
    patterns: list[PatternNode]
    communities: list[CommunityNode]


def success_phrase(p: PatternNode, level: float) -> str:
    reports = p.successes + p.failures
    if reports == 0:
        return "no outcome reported yet"
    return (
        f"worked {p.successes} of {reports} times (expected {p.success_mean:.0%}; "
        f"{level:.0%} sure at least {p.success_lower:.0%})"
    )


def pattern_headline(p: PatternNode, level: float) -> str:
    failing = p.failures >= 2 and p.success_mean < 0.5
    lead = "Pitfall" if failing else "Procedure"
    return f"{lead} seen in {p.support} sessions: {p.description}; {success_phrase(p, level)}."


class Consolidator:
    def __init__(
        self,
        store: MemoryStore,
        graph: DreamingGraph,
        embedder: Embedder,
        summarizer: Summarizer,
        *,
        quotes: int = 4,
        credible_level: float = 0.9,
        topic_insights: int = 30,
        announcer: EventAnnouncer | None = None,
    ) -> None:
        self._store, self._graph, self._embedder, self._summarizer = store, graph, embedder, summarizer
        self._writer = MemoryWriter(store, graph, announcer)
        self._quotes = quotes
        self._level = credible_level
        self._topic_insights = topic_insights
        self._labeler = OfflineExtractor(max_keyphrases=5, times=False)

    async def consolidate(
        self,
        namespace: str,
        patterns: Sequence[PatternNode],
        communities: Sequence[tuple[CommunityNode, Sequence[str]]],
        run_id: str,
    ) -> Consolidated:
        """`communities` pairs each community or cluster with the memory ids to quote."""
        drafts: list[tuple[str, Literal["L3", "L4"], str, list[MemoryRecord]]] = []
        kept_patterns: list[PatternNode] = []
        topics = [p for p in patterns if p.kind == "topic"][: self._topic_insights]
        for p in [*(p for p in patterns if p.kind in PROCEDURAL_KINDS), *topics]:
            sources = await self._records(namespace, self._pattern_quotes(namespace, p))
            if p.kind == "topic":
                headline = f"Recurring topic across {p.support} sessions: {p.items[0]}."
                drafts.append((f"pattern:{p.pattern_id}", "L3", headline, sources))
            else:
                drafts.append((f"pattern:{p.pattern_id}", "L4", pattern_headline(p, self._level), sources))
            kept_patterns.append(p)
        kept_communities: list[CommunityNode] = []
        for community, quote_ids in communities:
            sources = await self._records(namespace, quote_ids)
            if not sources:
                continue
            label = community.label or await self._label(sources)
            community = community.model_copy(update={"label": label})
            what = "Knowledge area" if community.kind == "entities" else "Recurring context"
            headline = f"{what} across {community.sessions} sessions: {label}."
            drafts.append((f"{community.kind}:{community.community_id}", "L3", headline, sources))
            kept_communities.append(community)
        if not drafts:
            return Consolidated([], [], [])
        texts = [await self._summarizer.summarize(headline, sources) for _, _, headline, sources in drafts]
        # Insights are long: a few at a time keeps the embedder's working memory small.
        vectors = np.vstack(
            [await self._embedder.embed(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)]
        )
        now = datetime.now(UTC)
        insights = [
            Insight(
                MemoryRecord(
                    memory_id=insight_memory_id(namespace, source),
                    namespace=namespace,
                    kind="procedural" if layer == "L4" else "semantic",
                    text=text,
                    session_id=INSIGHT_SESSION,
                    turn_id=source.replace(":", "-"),
                    role=INSIGHT_ROLE,
                    occurred_at=max((r.occurred_at for r in sources), default=now),
                    recorded_at=now,
                    embedder=self._embedder.name,
                    vector=vectors[n],
                ),
                source,
                layer,
                tuple(r.memory_id for r in sources),
            )
            for n, ((source, layer, _, sources), text) in enumerate(zip(drafts, texts, strict=True))
        ]
        by_source = {i.source: i for i in insights}

        def linked(source: str) -> dict[str, object]:
            return {"insight_memory_id": by_source[source].record.memory_id, "sources": by_source[source].sources}

        done = Consolidated(
            insights,
            [p.model_copy(update={**linked(f"pattern:{p.pattern_id}"), "run_id": run_id}) for p in kept_patterns],
            [c.model_copy(update={**linked(f"{c.kind}:{c.community_id}"), "run_id": run_id}) for c in kept_communities],
        )
        await self._write(namespace, done)
        return done

    async def _write(self, namespace: str, done: Consolidated) -> None:
        ids = [i.record.memory_id for i in done.insights]
        existed = {r.memory_id for r in await self._store.get(namespace, ids)}
        try:
            await self._writer.write([i.record for i in done.insights])
            if done.patterns:
                await self._graph.upsert_patterns(done.patterns)
            if done.communities:
                await self._graph.upsert_communities(done.communities)
        except Exception:
            created = [i for i in ids if i not in existed]
            log.warning("consolidation failed; removing the %d insights it had created", len(created))
            try:
                await self._store.delete(namespace, created)
            except Exception as cleanup:  # the store itself is down: the rerun rewrites the same ids
                log.error("could not remove them (%r); the next run rewrites them in place", cleanup)
            raise

    def _pattern_quotes(self, namespace: str, p: PatternNode) -> list[str]:
        """One turn from each of the first sessions that realise the pattern."""
        firsts: dict[str, TurnRef] = {}
        for turn in p.supporting_turns:
            firsts.setdefault(turn.session_id, turn)
        return [memory_id_for(namespace, t.session_id, t.turn_id, 0) for t in list(firsts.values())[: self._quotes]]

    async def _records(self, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]:
        found = await self._store.get(namespace, list(memory_ids)[: self._quotes]) if memory_ids else []
        return sorted(found, key=lambda r: r.occurred_at)

    async def _label(self, sources: Sequence[MemoryRecord]) -> str:
        (extraction,) = await self._labeler.extract(["\n".join(r.text for r in sources)], [None])
        return ", ".join(e.name for e in extraction.entities[:4]) or "related memories"
