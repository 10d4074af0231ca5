"""Forget: erase for good a memory, a session, everything about a subject, or a whole namespace.

Every copy goes: the memory store (the hot index and the namespace's cold archive), the graph
(nodes, edges, entities nothing mentions any more), the warm packs (all of the namespace's: a pack
may quote any of its memories), the event streams (a session's subjects are purged; a single
memory's messages are deleted one by one) and the insights made from it (rewritten from their
other sources, or deleted when none is left). What was erased is published as an audit event that
names the target by a digest only, and remembered as a tombstone, so forgetting the same thing again
answers with the first audit id instead of NOT_FOUND.

Each step is idempotent, and the tombstone is written last: an erasure cut short by a crash or an
outage is completed by asking again.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import get_args

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError, NotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel
from somnia_bus import JetStreamPublisher, key_prefix_subject, open_key_value, purge_subject
from somnia_contracts import (
    CONTENT_STREAMS,
    DREAM_STREAM,
    MEMORY_STREAM,
    SESSION_STREAM,
    ForgetTarget,
    MemoryForgotten,
    Subjects,
    archive_namespace,
    namespace_key_prefix,
)
from somnia_embedder import Embedder
from somnia_extraction import entity_key
from somnia_graph_store import CommunityKind
from somnia_memory_model import NEGATIVE, extractive_insight, headline_of
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, scan_all
from somnia_warm_packs import WarmPackStore

from somnia_erasure.ports import ErasureGraph

TOMBSTONES_BUCKET = "somnia_forgotten"
PAGE = 500
MAX_SUBJECT_CHARS = 200
MAX_REASON_CHARS = 512


class NothingToForget(LookupError):
    """The target never existed in the namespace (and was not forgotten before)."""


class InvalidErasure(ValueError):
    """The request cannot be carried out as asked; the message says what to fix."""


class ErasureReport(BaseModel):
    audit_id: str
    already_forgotten: bool = False
    memories: int = 0
    graph_nodes: int = 0
    warm_packs: int = 0
    stream_messages: int = 0
    insights_deleted: int = 0
    insights_rebuilt: int = 0


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Eraser:
    def __init__(
        self,
        store: MemoryStore,
        graph: ErasureGraph,
        embedder: Embedder,
        js: JetStreamContext,
        packs: WarmPackStore,
        publisher: JetStreamPublisher,
        *,
        extra_buckets: Sequence[str] = (),
    ) -> None:
        self._store, self._graph, self._embedder = store, graph, embedder
        self._js, self._packs, self._publisher = js, packs, publisher
        # KV buckets keyed `<namespace prefix>.<...>` that a namespace erasure purges too (dream runs).
        self._extra_buckets = tuple(extra_buckets)
        self._tombstones: KeyValue | None = None

    async def open(self) -> None:
        self._tombstones = await open_key_value(self._js, KeyValueConfig(bucket=TOMBSTONES_BUCKET, history=1))

    # -- the request -------------------------------------------------------------------------

    async def forget(self, namespace: str, target: ForgetTarget, value: str, reason: str = "") -> ErasureReport:
        """`value` is the memory id, session id or subject (ignored for a namespace)."""
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidErasure(f"reason is {len(reason)} characters; at most {MAX_REASON_CHARS} are kept")
        if target == "subject" and not 0 < len(value.strip()) <= MAX_SUBJECT_CHARS:
            raise InvalidErasure(f"subject must be 1 to {MAX_SUBJECT_CHARS} characters: the name or topic to forget")
        tombstone = f"{namespace_key_prefix(namespace)}.{digest(f'{target}|{value}')[:32]}"
        report = ErasureReport(audit_id=uuid.uuid4().hex)
        if target == "namespace":
            found = await self._erase_namespace(namespace, report)
        else:
            memory_ids, sessions = await self._resolve(namespace, target, value)
            found = bool(memory_ids or sessions)
            if found:
                await self._erase(namespace, target, value, memory_ids, sessions, report)
        if not found:
            earlier = await self._tombstone(tombstone)
            if earlier is None:
                what = (
                    f"namespace {namespace} holds nothing"
                    if target == "namespace"
                    else (f"{target} {value!r} is not in namespace {namespace}")
                )
                raise NothingToForget(f"{what}; nothing was erased")
            return ErasureReport(audit_id=earlier, already_forgotten=True)
        if target == "namespace":  # the namespace's own tombstone stands for all of them now
            await purge_subject(self._js, *key_prefix_subject(TOMBSTONES_BUCKET, namespace_key_prefix(namespace)))
        await self._publisher.publish_event(
            MemoryForgotten(
                namespace=namespace,
                audit_id=report.audit_id,
                target=target,
                target_digest=digest(value if target != "namespace" else namespace),
                reason=reason,
                forgotten_at=datetime.now(UTC),
                **report.model_dump(exclude={"audit_id", "already_forgotten"}),
            ),
        )
        await self._bound.put(tombstone, report.audit_id.encode())
        return report

    @property
    def _bound(self) -> KeyValue:
        if self._tombstones is None:
            raise RuntimeError("Eraser.open() was not awaited")
        return self._tombstones

    async def _tombstone(self, key: str) -> str | None:
        try:
            entry = await self._bound.get(key)
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None

    # -- what a target covers ----------------------------------------------------------------

    async def _resolve(self, namespace: str, target: ForgetTarget, value: str) -> tuple[list[str], set[str]]:
        """The memory ids to erase, and (for a session) the sessions whose every trace goes."""
        if target == "memory":
            return [r.memory_id for r in await self._get_any(namespace, [value])], set()
        if target == "session":
            where = SearchFilter(session_ids=(value,))
            ids = [r.memory_id for partition in self._partitions(namespace) for r in await self._scan(partition, where)]
            known = ids or await self._graph.session_turns(namespace, value)
            return ids, {value} if known else set()
        found: dict[str, None] = {}
        for mention in await self._graph.entity_turns(namespace, [entity_key(value)], limit=100_000):
            for turn in mention.turns:
                found.update(
                    dict.fromkeys(await self._graph.memories_of_turn(namespace, turn.session_id, turn.turn_id))
                )
        needle = " ".join(value.lower().split())
        for partition in self._partitions(namespace):
            for hit in await self._store.keyword_search(partition, value, 1000):
                if needle in " ".join(hit.record.text.lower().split()):
                    found[hit.record.memory_id] = None
        return list(found), set()

    @staticmethod
    def _partitions(namespace: str) -> tuple[str, str]:
        """The hot index and the cold archive: erasure covers both."""
        return namespace, archive_namespace(namespace)

    async def _get_any(self, namespace: str, memory_ids: Sequence[str]) -> list[MemoryRecord]:
        found: list[MemoryRecord] = []
        for partition in self._partitions(namespace):
            for start in range(0, len(memory_ids), PAGE):
                found.extend(await self._store.get(partition, memory_ids[start : start + PAGE]))
        return found

    async def _delete_everywhere(self, namespace: str, memory_ids: Sequence[str]) -> int:
        deleted = 0
        for partition in self._partitions(namespace):
            for start in range(0, len(memory_ids), PAGE):
                deleted += await self._store.delete(partition, memory_ids[start : start + PAGE])
        return deleted

    async def _scan(self, namespace: str, where: SearchFilter | None = None) -> list[MemoryRecord]:
        return [r async for r in scan_all(self._store, namespace, where, page_size=PAGE)]

    # -- erasing -----------------------------------------------------------------------------

    async def _erase(
        self,
        namespace: str,
        target: ForgetTarget,
        value: str,
        memory_ids: list[str],
        sessions: set[str],
        report: ErasureReport,
    ) -> None:
        rebuilt = await self._rewrite_insights(
            namespace, memory_ids, report, drop_headlines_with=value if target == "subject" else ""
        )
        # An insight that quoted the subject is now rewritten without it: it stays.
        memory_ids = [m for m in memory_ids if m not in rebuilt]
        records = await self._get_any(namespace, memory_ids)
        quoting = await self._negatives_quoting(namespace, records)
        memory_ids += [r.memory_id for r in quoting]
        records += quoting
        for session in sessions:
            report.stream_messages += await self._purge(Subjects.of_session(namespace, session))
        turns = {(r.session_id, r.turn_id) for r in records if r.session_id not in sessions}
        report.stream_messages += await self._delete_turn_messages(namespace, turns, set(memory_ids))
        report.warm_packs += await self._packs.purge_namespace(namespace)
        if target == "subject":  # dreams name subjects in what they found, not only in memories
            report.stream_messages += await self._delete_dream_messages(namespace, value)
            await self._scrub_communities(namespace, value)
            for bucket in self._extra_buckets:  # run checkpoints hold what the runs found
                await purge_subject(self._js, *key_prefix_subject(bucket, namespace_key_prefix(namespace)))
        if sessions:
            report.graph_nodes += await self._graph.erase_sessions(namespace, sorted(sessions))
        if memory_ids:
            report.graph_nodes += await self._graph.erase_memories(namespace, memory_ids)
        # The store goes last: it is what says a target exists, so an erasure cut short is found again.
        report.memories += await self._delete_everywhere(namespace, memory_ids)

    async def _delete_dream_messages(self, namespace: str, subject: str) -> int:
        """The namespace's dream events (patterns, communities, insights found) that name the subject."""
        needle = " ".join(subject.lower().split())
        deleted, seq = 0, 1
        while True:
            try:
                msg = await self._js.get_msg(
                    DREAM_STREAM.name, seq=seq, subject=Subjects.of_namespace(namespace), next=True
                )
            except NotFoundError:
                return deleted
            if msg.seq is None:
                return deleted
            if needle in " ".join((msg.data or b"").decode(errors="replace").lower().split()):
                await self._js.delete_msg(DREAM_STREAM.name, msg.seq)
                deleted += 1
            seq = msg.seq + 1

    async def _scrub_communities(self, namespace: str, subject: str) -> None:
        """Communities labelled with the subject, or with it among their members, lose it."""
        key, pattern = entity_key(subject), re.compile(re.escape(subject.strip()), re.IGNORECASE)
        for kind in get_args(CommunityKind):
            for c in await self._graph.communities(namespace, kind):
                members = tuple(m for m in c.members if m != key)
                if members == c.members and not pattern.search(c.label):
                    continue
                label = ", ".join(p for p in (part.strip() for part in pattern.sub("", c.label).split(",")) if p)
                await self._graph.upsert_communities(
                    [c.model_copy(update={"label": label, "members": members, "size": len(members)})]
                )

    async def _negatives_quoting(self, namespace: str, records: Sequence[MemoryRecord]) -> list[MemoryRecord]:
        """Negative memories that quote an erased memory ('Tried "<its words>" ...', 'Relied on "<its
        words>" ...'): they go with it. Each is linked to what it quotes (QUOTES) when it is written."""
        erased = {r.memory_id for r in records}
        quoted = [r.memory_id for r in records if r.kind != NEGATIVE]
        if not quoted:
            return []
        quoting = [m for m in await self._graph.memories_quoting(namespace, quoted) if m not in erased]
        return await self._get_any(namespace, quoting)

    async def _rewrite_insights(
        self, namespace: str, erased: list[str], report: ErasureReport, *, drop_headlines_with: str
    ) -> set[str]:
        """Insights that quote an erased memory are rewritten from their other quotes, or deleted when
        none is left (or, for a subject, when their headline names it). Returns the rewritten ones."""
        gone = set(erased)
        rebuilt: set[str] = set()
        for group in await self._graph.insights_citing(namespace, erased):
            remaining = [s for s in group.sources if s not in gone]
            kept = await self._get_any(namespace, remaining) if remaining else []
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
                report.insights_deleted += 1
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
            report.insights_rebuilt += 1
            rebuilt.add(group.insight_memory_id)
        return rebuilt

    async def _purge(self, subject: str) -> int:
        """`subject`'s messages out of every stream that carries memory content."""
        return sum([await purge_subject(self._js, spec.name, subject) for spec in CONTENT_STREAMS])

    async def _delete_turn_messages(self, namespace: str, turns: set[tuple[str, str]], memory_ids: set[str]) -> int:
        """A single turn's messages among its session's: the turn itself, its memory.indexed event and
        feedback on its memories."""
        deleted = 0
        for session in {s for s, _ in turns}:
            turn_ids = {t for s, t in turns if s == session}
            for stream, subject in (
                (SESSION_STREAM.name, Subjects.session_turn(namespace, session)),
                (MEMORY_STREAM.name, Subjects.memory_indexed(namespace, session)),
                (MEMORY_STREAM.name, Subjects.memory_feedback(namespace, session)),
            ):
                seq = 1
                while True:
                    try:
                        msg = await self._js.get_msg(stream, seq=seq, subject=subject, next=True)
                    except NotFoundError:
                        break
                    if msg.seq is None:
                        break
                    body = json.loads(msg.data or b"{}")
                    if body.get("turn_id") in turn_ids or body.get("memory_id") in memory_ids:
                        await self._js.delete_msg(stream, msg.seq)
                        deleted += 1
                    seq = msg.seq + 1
        return deleted

    async def _erase_namespace(self, namespace: str, report: ErasureReport) -> bool:
        for partition in self._partitions(namespace):
            memory_ids = [r.memory_id for r in await self._scan(partition)]
            for start in range(0, len(memory_ids), PAGE):
                report.memories += await self._store.delete(partition, memory_ids[start : start + PAGE])
        report.graph_nodes += await self._graph.delete_namespace(namespace)
        report.stream_messages += await self._purge(Subjects.of_namespace(namespace))
        report.warm_packs += await self._packs.purge_namespace(namespace)
        for bucket in self._extra_buckets:
            await purge_subject(self._js, *key_prefix_subject(bucket, namespace_key_prefix(namespace)))
        return bool(report.memories or report.graph_nodes or report.stream_messages or report.warm_packs)
