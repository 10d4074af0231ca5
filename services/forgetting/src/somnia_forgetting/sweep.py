"""One sweep of a namespace: score every hot memory, pick the faded (below the strength threshold and
past the grace age) and, when the namespace is over its hot budget, the weakest beyond it; consolidate
each session's picks into that session's digest (an insight that keeps every picked id as provenance),
then archive them. Idempotent: a sweep cut short is completed by the next."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from somnia_contracts import archive_namespace, insight_memory_id
from somnia_embedder import Embedder
from somnia_graph_store import CommunityNode
from somnia_memory_model import ActivationLaw, EventAnnouncer, MemoryWriter, extractive_insight
from somnia_memory_store import MemoryRecord, MemoryStore

from somnia_forgetting.archive import ColdArchive
from somnia_forgetting.decay import Duplicates, score_namespace
from somnia_forgetting.ports import SweepGraph
from somnia_forgetting.settings import ForgettingSettings

log = logging.getLogger("somnia.forgetting")
DIGEST_ROLE = "system"
# Sessions consolidated and archived per step, and digests embedded per call (bounds working memory).
SESSIONS_PER_CHUNK = 64
EMBED_BATCH = 32

# (namespace, session id, archived ids, digest id, why) -> published as memory.archived
ArchivedSink = Callable[[str, str, Sequence[str], str, str], Awaitable[None]]
Progress = Callable[[str, int, int], None]


@dataclass
class SweepReport:
    namespace: str
    hot_before: int = 0
    faded: int = 0
    over_budget: int = 0
    archived: int = 0
    digests: int = 0
    hot_after: int = 0
    sessions: list[str] = field(default_factory=list)


def digest_id(namespace: str, session_id: str) -> str:
    return insight_memory_id(namespace, f"digest:{session_id}")


class Sweeper:
    def __init__(
        self,
        store: MemoryStore,
        graph: SweepGraph,
        embedder: Embedder,
        law: ActivationLaw,
        settings: ForgettingSettings,
        *,
        on_archived: ArchivedSink | None = None,
        announcer: EventAnnouncer | None = None,
    ) -> None:
        self._store, self._graph, self._embedder, self._law = store, graph, embedder, law
        self._settings = settings
        self._writer = MemoryWriter(store, graph, announcer)
        self._archive = ColdArchive(store, graph)
        self._on_archived = on_archived

    async def sweep(self, namespace: str, now: datetime | None = None, progress: Progress | None = None) -> SweepReport:
        clock = now or datetime.now(UTC)
        settings = self._settings
        budget = settings.budget_for(namespace)
        # Over budget, any memory may be archived and its copies count; otherwise only the faded.
        check_below = 1.0 if await self._store.count(namespace) > budget else settings.archive_below
        strengths = await score_namespace(
            self._store,
            self._graph,
            self._law,
            namespace,
            clock,
            page_size=settings.page_size,
            duplicates=Duplicates(settings.duplicate_cosine, settings.duplicate_neighbours, below=check_below),
        )
        report = SweepReport(namespace, hot_before=strengths.hot)
        faded = [
            s
            for s in strengths.scored
            if s.strength < settings.archive_below
            and s.age_days >= settings.min_age_days
            and (s.redundant or s.strength < settings.archive_unique_below)
        ]
        picked = {s.memory_id: s for s in faded}
        digests = {c.community_id: c for c in await self._graph.communities(namespace, "digest")}
        # Each session archived into for the first time gains a digest, which is hot too.
        new_digests = {s.session_id for s in faded if f"digest-{s.session_id}" not in digests}
        # Over budget: the redundant first, weakest first; then the rest, weakest first.
        for s in sorted(strengths.scored, key=lambda s: (not s.redundant, s.strength, s.memory_id)):
            if strengths.hot - len(picked) + len(new_digests) <= budget:
                break
            if s.memory_id not in picked:
                picked[s.memory_id] = s
                report.over_budget += 1
                if f"digest-{s.session_id}" not in digests:
                    new_digests.add(s.session_id)
        report.faded = len(faded)
        faded_ids = {s.memory_id for s in faded}
        by_session: dict[str, list[str]] = {}
        for s in picked.values():
            by_session.setdefault(s.session_id, []).append(s.memory_id)
        sessions = sorted(by_session.items())
        # Sessions go a chunk at a time: their digests embedded and written together, then their
        # memories moved in one transaction (digests first, so nothing is cold without its digest).
        for start in range(0, len(sessions), SESSIONS_PER_CHUNK):
            if progress is not None:
                progress(namespace, start, len(sessions))
            chunk = sessions[start : start + SESSIONS_PER_CHUNK]
            found = await self._store.get(namespace, [m for _, ids in chunk for m in ids])
            records: dict[str, list[MemoryRecord]] = {}
            for r in sorted(found, key=lambda r: (r.occurred_at, r.memory_id)):
                records.setdefault(r.session_id, []).append(r)
            if not records:
                continue
            written = await self._consolidate(namespace, records, digests, clock)
            moved = await self._archive.archive(namespace, [r.memory_id for rs in records.values() for r in rs])
            moved_ids = {r.memory_id for r in moved}
            report.archived += len(moved)
            report.digests += len(written)
            report.sessions.extend(records)
            if self._on_archived is None:
                continue
            for session_id, rs in records.items():
                ids = [r.memory_id for r in rs if r.memory_id in moved_ids]
                if ids:
                    why = "weak" if any(i in faded_ids for i in ids) else "budget"
                    await self._on_archived(namespace, session_id, ids, written[session_id], why)
        if progress is not None:
            progress(namespace, len(by_session), len(by_session))
        report.hot_after = strengths.hot - report.archived + len(new_digests)
        log.info(
            "swept %s: %d hot, %d faded, %d over budget, %d archived into %d digests",
            namespace,
            report.hot_before,
            report.faded,
            report.over_budget,
            report.archived,
            report.digests,
        )
        return report

    async def _consolidate(
        self,
        namespace: str,
        records: dict[str, list[MemoryRecord]],
        earlier: dict[str, CommunityNode],
        now: datetime,
    ) -> dict[str, str]:
        """Write (or extend) each session's digest: a headline, the most telling quotes, and every
        archived id as provenance, so the session stays findable in the hot index after its detail is
        cold. Returns each session's digest id."""
        cold = archive_namespace(namespace)
        drafts: list[tuple[str, tuple[str, ...], list[MemoryRecord], str]] = []
        for session_id, fresh in records.items():
            before = earlier.get(f"digest-{session_id}")
            sources = tuple(dict.fromkeys([*(before.sources if before else ()), *(r.memory_id for r in fresh)]))
            quotable = fresh
            if before is not None:  # extending: quote from everything the digest stands for
                archived = await self._store.get(cold, list(before.sources))
                quotable = sorted({r.memory_id: r for r in [*archived, *fresh]}.values(), key=lambda r: r.occurred_at)
            first, last = quotable[0].occurred_at.date().isoformat(), quotable[-1].occurred_at.date().isoformat()
            span = first if first == last else f"{first} to {last}"
            headline = f"Digest of session {session_id} ({span}): {len(sources)} memories that faded are archived."
            text = extractive_insight(headline, most_telling(quotable, self._settings.digest_quotes))
            drafts.append((session_id, sources, quotable, text))
        vectors = [
            v
            for at in range(0, len(drafts), EMBED_BATCH)
            for v in await self._embedder.embed([text for *_, text in drafts[at : at + EMBED_BATCH]])
        ]
        digests = [
            MemoryRecord(
                memory_id=digest_id(namespace, session_id),
                namespace=namespace,
                kind="semantic",
                text=text,
                session_id=session_id,
                turn_id=f"digest-{session_id}"[:128],
                role=DIGEST_ROLE,
                occurred_at=quotable[-1].occurred_at,
                recorded_at=now,
                embedder=self._embedder.name,
                vector=vectors[n],
            )
            for n, (session_id, _, quotable, text) in enumerate(drafts)
        ]
        await self._writer.write(digests)
        await self._graph.upsert_communities(
            [
                CommunityNode(
                    namespace=namespace,
                    community_id=f"digest-{session_id}",
                    kind="digest",
                    label=f"session {session_id}",
                    members=sources,
                    size=len(sources),
                    sessions=1,
                    insight_memory_id=digest_id(namespace, session_id),
                    sources=sources,
                )
                for session_id, sources, _, _ in drafts
            ]
        )
        return {session_id: digest_id(namespace, session_id) for session_id, *_ in drafts}


def most_telling(records: Sequence[MemoryRecord], quotes: int) -> list[MemoryRecord]:
    """The quotes a digest keeps: the memories nearest the session's centroid (what it was about) that
    say something (longest first among ties), in time order."""
    if len(records) <= quotes:
        return list(records)
    vectors = np.vstack([r.vector for r in records]).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    centre = vectors.mean(axis=0)
    scores = vectors @ centre + 0.002 * np.array([min(len(r.text), 200) for r in records])
    keep = sorted(np.argsort(-scores)[:quotes].tolist())
    return [records[i] for i in keep]
