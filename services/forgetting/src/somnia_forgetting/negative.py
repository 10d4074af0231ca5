"""Negative knowledge from what agents report and what tools return: a memory of its own for a failed
attempt ("tried X on <date>: failed because ...") and for a search that found nothing ("checked X on
<date>: not there"); a verdict for a memory reported disproven or retracted, cascaded to the insights
made from it. Everything is keyed by the report (or the turn), so a redelivery rewrites, never adds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from somnia_contracts import MemoryFeedback, TurnCaptured, archive_namespace, memory_id_for, negative_memory_id
from somnia_embedder import Embedder
from somnia_graph_store import Verdict, cascade_verdicts
from somnia_memory_model import (
    NEGATIVE,
    EventAnnouncer,
    MemoryWriter,
    checked_absent,
    excerpt,
    failed_attempt,
    failed_tool_call,
    misled_by,
)
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter

from somnia_forgetting.ports import NegativeGraph

NEGATIVE_ROLE = "system"
# What a failed tool result looks like, in any tool's words: an error, an exception, a refusal, a
# not-found, an HTTP 4xx/5xx status. A result that merely mentions "error" in passing can match: a
# spurious pitfall costs less than a repeated failure.
FAILED_RESULT = re.compile(
    r"^\s*(error|exception|traceback|failed|failure|fatal)\b|\b(error|exception)\s*[:=]|\btraceback \(most recent"
    r"|\b(permission|access) denied\b|\bnot found\b|\btimed? ?out\b|\bstatus(?:_code)?\W{0,3}[45]\d\d\b"
    r"|\"(?:ok|success)\"\s*:\s*false",
    re.IGNORECASE,
)


def failed_tool_result(turn: TurnCaptured) -> bool:
    call = turn.tool_call
    return call is not None and bool(call.name) and bool(FAILED_RESULT.search(call.result or ""))


@dataclass(frozen=True)
class Drafted:
    memory_id: str
    namespace: str
    session_id: str
    text: str
    occurred_at: datetime
    # The memories it quotes: linked (QUOTES), so that erasing one of them takes this one too.
    quotes: tuple[str, ...] = ()


class NegativeKnowledge:
    def __init__(
        self, store: MemoryStore, graph: NegativeGraph, embedder: Embedder, announcer: EventAnnouncer | None = None
    ) -> None:
        self._store, self._graph, self._embedder = store, graph, embedder
        self._writer = MemoryWriter(store, graph, announcer)

    async def from_feedback(self, reports: Sequence[MemoryFeedback]) -> int:
        """Negative memories and verdicts for a batch of reports; returns how many were written."""
        drafts: list[Drafted] = []
        written = 0
        for report in reports:
            day = report.reported_at.date().isoformat()
            if report.signal == "failed":
                task, first = await self._task_of(report.namespace, report.session_id)
                drafts.append(self._draft(report, failed_attempt(task, day, report.note), quotes=first))
            elif report.signal == "checked_absent":
                drafts.append(self._draft(report, checked_absent(day, report.note)))
            elif report.signal == "misled" and report.note.strip():
                said = await self._text_of(report.namespace, report.memory_id)
                drafts.append(self._draft(report, misled_by(said, day, report.note), quotes=(report.memory_id,)))
            elif report.signal in ("disproven", "retracted") and report.memory_id:
                written += await self._judge(report)
        written += await self._write(drafts)
        return written

    async def from_turns(self, turns: Sequence[TurnCaptured]) -> int:
        """A negative memory for each tool call whose result reads as a failure."""
        drafts = []
        for turn in turns:
            if not failed_tool_result(turn):
                continue
            assert turn.tool_call is not None
            call = turn.tool_call
            drafts.append(
                Drafted(
                    negative_memory_id(turn.namespace, f"tool/{turn.session_id}/{turn.turn_id}"),
                    turn.namespace,
                    turn.session_id,
                    failed_tool_call(call.name, call.arguments_json, turn.occurred_at.date().isoformat(), call.result),
                    turn.occurred_at,
                    # The turn that carried the failed call (its first chunk's id, as embedding derives it).
                    quotes=(memory_id_for(turn.namespace, turn.session_id, turn.turn_id, 0),),
                )
            )
        return await self._write(drafts)

    def _draft(self, report: MemoryFeedback, text: str, quotes: tuple[str, ...] = ()) -> Drafted:
        return Drafted(
            negative_memory_id(report.namespace, report.feedback_id),
            report.namespace,
            report.session_id,
            text,
            report.reported_at,
            quotes,
        )

    async def _judge(self, report: MemoryFeedback) -> int:
        verdict = Verdict(
            namespace=report.namespace,
            memory_id=report.memory_id,
            verdict_id=report.feedback_id,
            status="disproven" if report.signal == "disproven" else "retracted",
            evidence_id=report.evidence_id,
            reason=excerpt(report.note, 1000) or report.signal,
            recorded_at=report.reported_at,
        )
        await self._graph.upsert_verdicts([verdict])
        cascaded = await cascade_verdicts(
            self._graph,
            report.namespace,
            {report.memory_id: verdict.status},
            reason=f"{verdict.status} ({verdict.reason})",
            recorded_at=report.reported_at,
            cause_id=report.feedback_id,
        )
        return 1 + len(cascaded)

    async def _write(self, drafts: Sequence[Drafted]) -> int:
        if not drafts:
            return 0
        vectors = await self._embedder.embed([d.text for d in drafts])
        records = [
            MemoryRecord(
                memory_id=d.memory_id,
                namespace=d.namespace,
                kind=NEGATIVE,
                text=d.text,
                session_id=d.session_id,
                turn_id=d.memory_id,
                role=NEGATIVE_ROLE,
                occurred_at=d.occurred_at,
                recorded_at=d.occurred_at,
                embedder=self._embedder.name,
                vector=vectors[n],
            )
            for n, d in enumerate(drafts)
        ]
        await self._writer.write(records, {d.memory_id: d.quotes for d in drafts if d.quotes})
        return len(records)

    async def _task_of(self, namespace: str, session_id: str) -> tuple[str, tuple[str, ...]]:
        """What the session set out to do, in its own words (its first user turn), and that memory's id."""
        where = SearchFilter(session_ids=(session_id,), roles=("user",), kinds=("episodic",))
        for partition in (namespace, archive_namespace(namespace)):
            first = sorted(await self._store.scan(partition, where, limit=200), key=lambda r: r.occurred_at)
            if first:
                return f'"{excerpt(first[0].text, 160)}"', (first[0].memory_id,)
        return f"the task of session {session_id}", ()

    async def _text_of(self, namespace: str, memory_id: str) -> str:
        for partition in (namespace, archive_namespace(namespace)):
            found = await self._store.get(partition, [memory_id])
            if found:
                return found[0].text
        return memory_id
