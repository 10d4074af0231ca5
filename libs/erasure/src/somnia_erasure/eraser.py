"""Forget: erase for good a memory, a session, everything about a subject, or a whole namespace.

Every copy goes: the memory store (the hot index and the namespace's cold archive), the graph
(nodes, edges, entities nothing mentions any more), the warm packs (all of the namespace's: a pack
may quote any of its memories), the event streams (every message of a session or memory is erased:
NATS overwrites it on disk), the disk itself (keyword indexes rewritten, WALs emptied: `scrub`) and
the insights made from it (rewritten from their
other sources, or deleted when none is left). What was erased is published as an audit event that
names the target by a digest only, and remembered as a tombstone, so forgetting the same thing again
answers with the first audit id instead of NOT_FOUND.

Each step is idempotent, and the tombstone is written last: an erasure cut short by a crash or an
outage is completed by asking again.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import get_args

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel
from somnia_bus import JetStreamPublisher, erase_subject, key_prefix_subject, open_key_value
from somnia_contracts import (
    TOMBSTONES_BUCKET,
    ForgetTarget,
    MemoryForgotten,
    Subjects,
    namespace_key_prefix,
)
from somnia_embedder import Embedder
from somnia_extraction import entity_key
from somnia_graph_store import CommunityKind
from somnia_memory_model import NEGATIVE, UsageReporter
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter
from somnia_parametric import StaleAdapters
from somnia_warm_packs import WarmPackStore

from somnia_erasure.insights import InsightRewriter
from somnia_erasure.partitions import PAGE, delete_everywhere, get_any, partitions, scan
from somnia_erasure.ports import ErasureGraph
from somnia_erasure.streams import StreamScrubber

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
    adapters_stale: int = 0


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
        usage: UsageReporter | None = None,
        adapters: StaleAdapters | None = None,
    ) -> None:
        self._store, self._graph, self._embedder = store, graph, embedder
        self._js, self._packs, self._publisher = js, packs, publisher
        # KV buckets keyed `<namespace prefix>.<...>` that a namespace erasure purges too (dream runs).
        self._extra_buckets = tuple(extra_buckets)
        # Storage quotas see the space an erasure frees at once (a namespace erasure drops its figure).
        self._usage = usage
        # Forgetting reaches the weights: adapters holding an erased memory go stale and are retrained.
        self._adapters = adapters
        self._tombstones: KeyValue | None = None
        self._streams = StreamScrubber(js)
        self._insights = InsightRewriter(store, graph, embedder)

    async def open(self) -> None:
        self._tombstones = await open_key_value(self._js, KeyValueConfig(bucket=TOMBSTONES_BUCKET, history=1))

    # -- the request -------------------------------------------------------------------------

    async def forget(
        self, namespace: str, target: ForgetTarget, value: str, reason: str = "", *, requested_by: str = ""
    ) -> ErasureReport:
        """`value` is the memory id, session id or subject (ignored for a namespace); `requested_by`
        names the caller in the audit event."""
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
        await self._scrub(namespace)
        if self._usage and target != "namespace":
            await self._usage.after_write([namespace], at_once=True)
        if target == "namespace":  # the namespace's own tombstone stands for all of them now
            await erase_subject(self._js, *key_prefix_subject(TOMBSTONES_BUCKET, namespace_key_prefix(namespace)))
        await self._publisher.publish_event(
            MemoryForgotten(
                namespace=namespace,
                audit_id=report.audit_id,
                target=target,
                target_digest=digest(value if target != "namespace" else namespace),
                reason=reason,
                requested_by=requested_by,
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
            return [r.memory_id for r in await get_any(self._store, namespace, [value])], set()
        if target == "session":
            where = SearchFilter(session_ids=(value,))
            ids = [
                r.memory_id for partition in partitions(namespace) for r in await scan(self._store, partition, where)
            ]
            known = ids or await self._graph.session_turns(namespace, value)
            return ids, {value} if known else set()
        found: dict[str, None] = {}
        for mention in await self._graph.entity_turns(namespace, [entity_key(value)], limit=100_000):
            for turn in mention.turns:
                found.update(
                    dict.fromkeys(await self._graph.memories_of_turn(namespace, turn.session_id, turn.turn_id))
                )
        needle = " ".join(value.lower().split())
        for partition in partitions(namespace):
            for hit in await self._store.keyword_search(partition, value, 1000):
                if needle in " ".join(hit.record.text.lower().split()):
                    found[hit.record.memory_id] = None
        return list(found), set()

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
        rewritten = await self._insights.rewrite(
            namespace, memory_ids, drop_headlines_with=value if target == "subject" else ""
        )
        report.insights_deleted += rewritten.deleted
        report.insights_rebuilt += rewritten.rebuilt
        # An insight that quoted the subject is now rewritten without it: it stays.
        memory_ids = [m for m in memory_ids if m not in rewritten.kept]
        records = await get_any(self._store, namespace, memory_ids)
        quoting = await self._negatives_quoting(namespace, records)
        memory_ids += [r.memory_id for r in quoting]
        records += quoting
        for session in sessions:
            report.stream_messages += await self._streams.erase(Subjects.of_session(namespace, session))
        turns = {(r.session_id, r.turn_id) for r in records if r.session_id not in sessions}
        report.stream_messages += await self._streams.delete_turn_messages(namespace, turns, set(memory_ids))
        report.warm_packs += await self._packs.erase_namespace(namespace)
        if target == "subject":  # dreams name subjects in what they found, not only in memories
            report.stream_messages += await self._streams.delete_dream_messages(namespace, value)
            await self._scrub_communities(namespace, value)
            for bucket in self._extra_buckets:  # run checkpoints hold what the runs found
                await erase_subject(self._js, *key_prefix_subject(bucket, namespace_key_prefix(namespace)))
        if sessions:
            report.graph_nodes += await self._graph.erase_sessions(namespace, sorted(sessions))
        if memory_ids:
            report.graph_nodes += await self._graph.erase_memories(namespace, memory_ids)
        # Adapters stop being served before the memory goes; their retrain is asked for once it is gone.
        stale = []
        if self._adapters is not None and memory_ids:
            why = f"a memory inside was erased on request (audit {report.audit_id})"
            stale = await self._adapters.memories_changed(namespace, memory_ids, why, retrain=False)
            report.adapters_stale += len(stale)
        # The store goes last: it is what says a target exists, so an erasure cut short is found again.
        report.memories += await delete_everywhere(self._store, namespace, memory_ids)
        if self._adapters is not None:
            await self._adapters.request_retrain(namespace, stale)

    async def _scrub(self, namespace: str) -> None:
        """What was deleted leaves the disk too: indexes rewritten without it, the WAL emptied."""
        for partition in partitions(namespace):
            await self._store.scrub(partition)
        await self._graph.scrub(namespace)

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
        return await get_any(self._store, namespace, quoting)

    async def _erase_namespace(self, namespace: str, report: ErasureReport) -> bool:
        for partition in partitions(namespace):
            memory_ids = [r.memory_id for r in await scan(self._store, partition)]
            for start in range(0, len(memory_ids), PAGE):
                report.memories += await self._store.delete(partition, memory_ids[start : start + PAGE])
        report.graph_nodes += await self._graph.delete_namespace(namespace)
        report.stream_messages += await self._streams.erase(Subjects.of_namespace(namespace))
        report.warm_packs += await self._packs.erase_namespace(namespace)
        for bucket in self._extra_buckets:
            await erase_subject(self._js, *key_prefix_subject(bucket, namespace_key_prefix(namespace)))
        if self._adapters is not None:
            why = f"its namespace was erased (audit {report.audit_id})"
            report.adapters_stale += len(await self._adapters.namespace_erased(namespace, why))
        return bool(report.memories or report.graph_nodes or report.stream_messages or report.warm_packs)
