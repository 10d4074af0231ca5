"""Notice when a new memory replaces an older one, as it arrives (no LLM on this path).

Two cues, both offline:
- the same attribute with a new value: "my <attribute> is <value>" where an earlier memory of the same
  speaker said the same attribute with another value ("my favourite colour is blue" -> "... is green");
- an explicit correction ("actually", "correction", "no longer", "I was wrong", "scratch that", ...):
  the earlier memory of the same speaker closest in meaning is the one corrected.

A third cue closes open threads (`threads.py`): a report of a thing done ("we published the release
notes") supersedes the earlier plans and promises near it in meaning that share a topic word with it
("I promised Ines we would publish the release notes by Friday"), whoever said them: a plan the user
made may be reported done by the agent.

With a judge configured (an LLM, opt-in), the nearest older memories of the same speaker that neither
cue decided are asked about too: a supersession, a contradiction that disproves the older memory, or a
retraction that takes it back.

Candidates are the new memory's nearest neighbours in the vector store, older than it, from the same
role: for a correction at least `min_cosine` close (the correction names nothing else to go by), for
an attribute at least `min_attribute_cosine` (the attribute itself is the evidence; "my car is a red
Volvo" and "my car is a grey Tesla" are only about 0.5 alike). A supersession is an edge, not an edit: the older
memory keeps its text and status, and Recall shows it flagged with its replacement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from somnia_graph_store import MemoryNode, Supersession, Verdict
from somnia_memory_store import MemoryRecord, MemoryStore

from somnia_graph.judge import ContradictionJudge
from somnia_graph.threads import closes, meant_for, reports_done

CORRECTION = re.compile(
    r"\b(actually|correction|i was wrong|not anymore|no longer|scratch that|i meant|changed (?:it )?to|"
    r"update:|turns out)\b",
    re.IGNORECASE,
)
ATTRIBUTE = re.compile(
    r"\bmy (?P<attribute>(?:[a-z'-]+ ){0,3}?[a-z'-]+) (?:is|are|was|were) (?:now |actually |still )?"
    r"(?P<value>[^.,;!?]+)",
    re.IGNORECASE,
)


def attribute_of(text: str) -> tuple[str, str] | None:
    """('favourite colour', 'green') from "... my favourite colour is green now."; None without one."""
    found = ATTRIBUTE.search(text)
    if found is None:
        return None
    value = re.sub(r"\s+(now|again|these days)$", "", found["value"].strip().lower())
    return " ".join(found["attribute"].lower().split()), value


@dataclass
class Detected:
    supersessions: list[Supersession] = field(default_factory=list)
    # Older memories a judge found contradicted (disproven, with the newer memory as evidence).
    verdicts: list[Verdict] = field(default_factory=list)


class SupersessionDetector:
    def __init__(
        self,
        store: MemoryStore,
        *,
        min_cosine: float = 0.55,
        min_attribute_cosine: float = 0.3,
        min_thread_cosine: float | None = 0.55,
        candidates: int = 8,
        judge: ContradictionJudge | None = None,
        judge_min_cosine: float = 0.5,
    ) -> None:
        self._store = store
        self._min_cosine = min_cosine
        self._min_attribute_cosine = min_attribute_cosine
        self._min_thread_cosine = min_thread_cosine
        self._candidates = candidates
        self._judge = judge
        self._judge_min_cosine = judge_min_cosine

    async def detect(self, memories: Sequence[MemoryNode], records: Sequence[MemoryRecord] | None = None) -> Detected:
        """`records` are the memories' records when the caller has read them already."""
        detected = Detected()
        found = detected.supersessions
        asked = 0
        by_namespace: dict[str, list[str]] = {}
        for m in memories:
            by_namespace.setdefault(m.namespace, []).append(m.memory_id)
        read = {r.memory_id: r for r in records} if records is not None else None
        for namespace, ids in by_namespace.items():
            stored = [read[i] for i in ids if i in read] if read is not None else await self._store.get(namespace, ids)
            new = [r for r in stored if r.kind == "episodic"]
            cued = (
                new
                if self._judge is not None
                else [r for r in new if attribute_of(r.text) or CORRECTION.search(r.text) or self._reports_done(r)]
            )
            if not cued:
                continue
            neighbours = await self._store.nearest_ids(
                namespace, np.stack([r.vector for r in cued]).astype(np.float32), self._candidates + 1
            )
            floor = min(self._min_cosine, self._min_attribute_cosine, self._min_thread_cosine or 1.0)
            if self._judge is not None:
                floor = min(floor, self._judge_min_cosine)
            wanted = {i for row in neighbours for i, score in row if score >= floor}
            known = {r.memory_id: r for r in await self._store.get(namespace, sorted(wanted))}
            for record, row in zip(cued, neighbours, strict=True):
                before = [
                    (known[i], score)
                    for i, score in row
                    if score >= floor
                    and i in known
                    and i != record.memory_id
                    and known[i].occurred_at < record.occurred_at
                ]
                older = [(candidate, score) for candidate, score in before if candidate.role == record.role]
                replaced = self._replaced(record, older)
                found += self._closed_threads(record, before, replaced[0].memory_id if replaced else None)
                nearest = next((c for c, score in older if score >= self._judge_min_cosine), None)
                if (
                    replaced is None
                    and nearest is not None
                    and self._judge is not None
                    and asked < self._judge.max_pairs
                ):
                    asked += 1
                    judgement = await self._judge.judge(nearest, record)
                    if judgement is not None and judgement.relation == "supersedes":
                        replaced = (nearest, f"judged: {judgement.reason or 'a new value'}")
                    elif judgement is not None and judgement.relation in ("contradicts", "retracts"):
                        disproven = judgement.relation == "contradicts"
                        detected.verdicts.append(
                            Verdict(
                                namespace=namespace,
                                memory_id=nearest.memory_id,
                                verdict_id=f"judge:{record.memory_id}"[:128],
                                status="disproven" if disproven else "retracted",
                                evidence_id=record.memory_id,
                                reason=f"{'contradicted' if disproven else 'taken back'}: {judgement.reason}"[:1024],
                                recorded_at=record.recorded_at,
                                changed_at=record.occurred_at,
                            )
                        )
                if replaced is not None:
                    found.append(
                        Supersession(
                            namespace=namespace,
                            newer_id=record.memory_id,
                            older_id=replaced[0].memory_id,
                            reason=replaced[1],
                            recorded_at=record.recorded_at,  # known since the newer one was recorded
                        )
                    )
        return detected

    def _reports_done(self, record: MemoryRecord) -> bool:
        return self._min_thread_cosine is not None and reports_done(record.text) is not None

    def _closed_threads(
        self, record: MemoryRecord, before: Sequence[tuple[MemoryRecord, float]], replaced: str | None
    ) -> list[Supersession]:
        """The plans and promises `record` reports done: every earlier statement of them (a thread is
        often restated before it is closed), each superseded by the report. None when threads stay open."""
        if self._min_thread_cosine is None:
            return []
        reported = []
        for candidate, score in before:
            why = closes(candidate.text, record.text) if score >= self._min_thread_cosine else None
            if why is not None and candidate.memory_id != replaced:
                reported.append((candidate, why))
        about = meant_for([candidate.text for candidate, _ in reported], record.text)
        return [
            Supersession(
                namespace=record.namespace,
                newer_id=record.memory_id,
                older_id=candidate.memory_id,
                reason=why,
                recorded_at=record.recorded_at,
            )
            for (candidate, why), meant in zip(reported, about, strict=True)
            if meant
        ]

    def _replaced(
        self, record: MemoryRecord, older: Sequence[tuple[MemoryRecord, float]]
    ) -> tuple[MemoryRecord, str] | None:
        """The older memory this one replaces (they come nearest first), and why."""
        said = attribute_of(record.text)
        if said is not None:
            for candidate, score in older:
                before = attribute_of(candidate.text)
                if (
                    score >= self._min_attribute_cosine
                    and before is not None
                    and before[0] == said[0]
                    and before[1] != said[1]
                ):
                    return candidate, f"{said[0]} changed from '{before[1]}' to '{said[1]}'"
        corrected = [candidate for candidate, score in older if score >= self._min_cosine]
        if CORRECTION.search(record.text) and corrected:
            return corrected[0], "corrected"
        return None
