"""Notice when a new memory takes an older one back ("strike what I said about the gym", "don't keep
that", "I've stopped going to Ironworks"), as it arrives (no LLM on this path; cues.py reads the words,
and speech_acts.py a user's short statement in wording the cues do not know).

Which memory it takes back, among the same speaker's earlier statements (the role, and the "Name: " a
text starts with when both have one):
- for a topic, the statements found by its words or nearest to it in meaning that share half the
  topic's words (a short form matching the long one it starts: "rota", "rotation") or a name in it, or, when
  none does, the nearest statement in meaning to the topic (its own embedding, cosine at least
  `topic_phrase_cosine`, or at least `standout_cosine` and `standout_gap` nearer than the next, when the
  store's embedder is at hand; else the turn's, at least `topic_cosine`),
  or, with an LLM judge configured, those of the nearest few the judge says it takes back; and when the
  topic finds nothing (a cue can cut it at the wrong word: "what I said on Monday"), the same again with
  the statement's own words, less those about saying and withdrawing;
- for an activity said to have ended ("I left the book club"), only statements that share two telling
  words or a name with it, and never the plans and dependencies on it (dependencies.py changes those);
- for a pointer back ("that", "it"), a statement the turn's own words or names find (two telling words,
  or a name among the nearest: "Ingrid's not my manager since the reorg, so that's outdated"), or else the
  speaker's statement just before it in the session, unless what the turn says is `pointer_gap` nearer in
  meaning to another statement (after a word about the traffic, "I got it wrong, I'm on Kubernetes 1.28").
A topic is searched without the words about saying and keeping ("my address from memory please"). For an
ending, one telling word in common with a statement among the nearest in meaning counts when no statement
shares two ("I stopped commuting by train" for "I take the 7:52 train every morning").
The earlier statements of the same fact go with it (at least `restatement_cosine` alike, or
`related_cosine` alike and sharing half its words, or `named_cosine` alike and naming the same thing):
saying it twice does not make it stay. A taken-back memory is not edited: it gets a `retracted` (or,
for a request not to keep it, `deleted_by_user`) verdict with the retraction as evidence, and Recall
leaves it out unless asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
from somnia_embedder import Embedder
from somnia_graph_store import Verdict
from somnia_memory_model import (
    capitalised_names,
    content_keys,
    excerpt,
    overlap,
    proper_names,
    shared,
    span_of,
    split_speaker,
    telling,
)
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter

from somnia_graph.cues import Retraction, condition_of, retraction_of
from somnia_graph.judge import ContradictionJudge
from somnia_graph.speech_acts import SpeechActReader, topic_of
from somnia_graph.supersession import attribute_of

# How far back in a session "that" may point: the speaker's latest statement among these.
SESSION_LOOKBACK = 64
# How many of the statements nearest a topic in meaning count as near: one word in common, or a name of a
# whole statement, says which of them it is about.
NEAREST_FEW = 3
# How well a statement matches a topic (`RetractionDetector._match`).
NONE, WEAK, STRONG = 0, 1, 2
# A statement with fewer content words than this ("Hi again.", "Okay.") states nothing to take back.
MIN_STATEMENT_WORDS = 3


class RetractionDetector:
    def __init__(
        self,
        store: MemoryStore,
        *,
        candidates: int = 8,
        topic_overlap: float = 0.5,
        topic_cosine: float = 0.4,
        restatement_cosine: float = 0.78,
        related_cosine: float = 0.6,
        named_cosine: float = 0.45,
        restatement_overlap: float = 0.5,
        speech_acts: SpeechActReader | None = None,
        topics: Embedder | None = None,
        topic_phrase_cosine: float = 0.35,
        standout_cosine: float = 0.2,
        standout_gap: float = 0.05,
        pointer_gap: float = 0.15,
        judge: ContradictionJudge | None = None,
        judged_candidates: int = 6,
    ) -> None:
        self._store = store
        self._pointer_gap = pointer_gap
        self._speech_acts = speech_acts
        self._topics = topics
        self._topic_phrase_cosine = topic_phrase_cosine
        self._standout_cosine = standout_cosine
        self._standout_gap = standout_gap
        self._judge = judge
        self._judged_candidates = judged_candidates
        self._candidates = candidates
        self._topic_overlap = topic_overlap
        self._topic_cosine = topic_cosine
        self._restatement_cosine = restatement_cosine
        self._related_cosine = related_cosine
        self._named_cosine = named_cosine
        self._restatement_overlap = restatement_overlap

    async def detect(self, records: Sequence[MemoryRecord]) -> list[Verdict]:
        """Verdicts on the memories that `records` take back (none for a record that takes nothing back)."""
        verdicts: list[Verdict] = []
        for record in records:
            cue = self._cue(record)
            if cue is None or (not cue.topic and attribute_of(record.text) is not None):
                continue  # "scratch that, my gym is Ironworks" gives a new value: a supersession
            if cue.topic:
                targets = await self._about(record, cue) or await self._about_statement(record, cue)
            else:
                # "Ingrid's not my manager since the reorg, so that's outdated" says what "that" is: a
                # statement its own words find is taken before the one said just before it.
                targets = await self._about_statement(record, cue, by_words_only=True) or await self._pointed_at(
                    record, cue
                )
            targets += await self._restatements(record, targets)
            verdicts.extend(self._verdict(record, cue, target) for target in dict.fromkeys(targets))
        return verdicts

    def _cue(self, record: MemoryRecord) -> Retraction | None:
        """What `record` takes back, by the cues, or else (a user's statement) by the speech-act reader."""
        if record.kind != "episodic":
            return None
        cue = retraction_of(record.text)
        if cue is None and self._speech_acts is not None and record.role == "user":
            cue = self._speech_acts.retraction(record.text, record.vector, record.embedder)
        return cue

    def _verdict(self, record: MemoryRecord, cue: Retraction, target: str) -> Verdict:
        action = "asked not to keep it" if cue.status == "deleted_by_user" else "took it back"
        return Verdict(
            namespace=record.namespace,
            memory_id=target,
            verdict_id=f"retraction:{record.memory_id}"[:128],
            status=cue.status,
            evidence_id=record.memory_id,
            reason=f'its speaker {action}: "{excerpt(record.text, 160)}"'[:1024],
            recorded_at=record.recorded_at,
            changed_at=record.occurred_at,
        )

    @staticmethod
    def _earlier(record: MemoryRecord, *, same_session: bool = False) -> SearchFilter:
        """The speaker's statements before `record` (in its session only, with `same_session`)."""
        return SearchFilter(
            roles=(record.role,),
            kinds=("episodic",),
            occurred_before=record.occurred_at,
            session_ids=(record.session_id,) if same_session else (),
        )

    @staticmethod
    def _statement(candidate: MemoryRecord, record: MemoryRecord) -> bool:
        """An earlier statement that can be taken back: the same speaker's (by the name its text starts
        with, when both have one), not `record`, not itself a retraction."""
        speaker, other = split_speaker(record.text)[0], split_speaker(candidate.text)[0]
        return (
            candidate.memory_id != record.memory_id
            and candidate.occurred_at < record.occurred_at
            and (not speaker or not other or speaker == other)
            and retraction_of(candidate.text) is None
        )

    async def _about(self, record: MemoryRecord, cue: Retraction, *, by_words_only: bool = False) -> list[str]:
        """The speaker's statements about the topic (`_match`), found by its words or by its meaning ("the
        on-call rota" for "this rotation Yasmin holds the pager": no word in common for a keyword search,
        but "rota" starts "rotation"), or else, for an explicit reference ("what I said about the release
        date" for "we ship v4.0 on June 3rd"), the nearest one in meaning if it is near enough."""
        ended = cue.ended
        # Without the words about saying and keeping ("my address from memory please"): they would match
        # any statement that says "please".
        cleaned = topic_of(cue.topic)
        topic = cleaned if content_keys(cleaned) else cue.topic
        keys = content_keys(topic)
        if not keys:
            return [] if by_words_only else await self._previous(record)
        names = (
            capitalised_names(span_of(record.text, cue.topic))
            if cue.named
            else proper_names(split_speaker(record.text)[1])
        )
        earlier = self._earlier(record)
        (by_words, (vector, floor, phrase)) = await asyncio.gather(
            self._store.keyword_search(record.namespace, topic, self._candidates * 2, earlier),
            self._topic_vector(record, topic),
        )
        by_meaning = await self._store.vector_search(record.namespace, vector, self._candidates, earlier)
        candidates = {h.record.memory_id: h.record for h in (*by_words, *by_meaning)}
        statements = [h.record.memory_id for h in by_meaning if self._statement(h.record, record)]
        nearest_few = frozenset(statements[:NEAREST_FEW])
        # Found by the words of a whole turn, a statement must share two telling words, as for an ending.
        matched = {
            memory_id: self._match(
                keys, names, candidate, ended or by_words_only, near=memory_id in nearest_few, named=cue.named
            )
            for memory_id, candidate in candidates.items()
            if self._statement(candidate, record)
            # an ending changes the plans and dependencies on it (dependencies.py); it takes back facts
            and not (ended and condition_of(candidate.text) is not None)
        }
        # A near statement that shares one telling word is taken only when none shares more; of those that
        # match, the ones that share the most telling words with the topic (its restatements follow them
        # anyway): "who runs the demos" matches every statement that says "run", and the one about demos.
        best = STRONG if STRONG in matched.values() else WEAK
        found = [memory_id for memory_id, strength in matched.items() if strength == best]
        if len(found) > 1:
            said = {m: len(telling(shared(keys, content_keys(candidates[m].text)))) for m in found}
            found = [m for m in found if said[m] == max(said.values())]
        found = found[: self._candidates]
        if found or ended or by_words_only:
            return found
        nearest = [
            h.record
            for h in by_meaning
            if self._statement(h.record, record) and len(content_keys(h.record.text)) >= MIN_STATEMENT_WORDS
        ]
        if self._judge is not None and nearest:
            judged = await self._judge.taken_back(record, nearest[: self._judged_candidates])
            if judged is not None:
                return [r.memory_id for r in judged]
        cosines = [float(r.vector @ vector) for r in nearest]
        return [nearest[0].memory_id] if cosines and (cosines[0] >= floor or self._stands_out(cosines, phrase)) else []

    def _stands_out(self, cosines: Sequence[float], phrase: bool) -> bool:
        """The nearest statement to a topic's own embedding is taken below the floor when it is clearly nearer
        than the next (on the dev retractions, never the wrong one: the statement-wide topics of the
        speech-act reader sit further from their fact than a cue's noun phrase, but still nearest)."""
        if not phrase or len(cosines) < 2 or cosines[0] < self._standout_cosine:
            return False  # a lone statement stands out from nothing
        return cosines[0] - cosines[1] >= self._standout_gap

    async def _about_statement(
        self, record: MemoryRecord, cue: Retraction, *, by_words_only: bool = False
    ) -> list[str]:
        """When the cue's topic finds nothing, the statement's own words without those about saying and
        withdrawing (what the speech-act reader searches by): a cue can cut its topic at the wrong word, and
        then names a thing nobody said. `by_words_only`: only statements its words or names find, never
        merely the nearest (for a turn that also points back at what was just said)."""
        wider = topic_of(" ".join(split_speaker(record.text)[1].split()))
        if not content_keys(wider) - content_keys(cue.topic):
            return []
        return await self._about(record, replace(cue, topic=wider, named=False), by_words_only=by_words_only)

    async def _topic_vector(self, record: MemoryRecord, topic: str) -> tuple[npt.NDArray[np.float32], float, bool]:
        """What to look for the topic by, and how near a statement must be: the topic's own embedding when
        the store's embedder is at hand (a statement about the GP is near "my GP", and not near "scratch what
        I told you about"), else the whole turn's; and whether it is the topic's own."""
        if self._topics is None or self._topics.name != record.embedder:
            return record.vector, self._topic_cosine, False
        (vector,) = await self._topics.embed([topic])
        return np.asarray(vector, dtype=np.float32), self._topic_phrase_cosine, True

    def _match(
        self,
        keys: frozenset[str],
        names: frozenset[str],
        candidate: MemoryRecord,
        ended: bool,
        *,
        near: bool = False,
        named: bool = True,
    ) -> int:
        """A statement is about the topic (STRONG) when it names the same thing, or shares half the topic's
        words (and, for an activity that ended, at least two of them); WEAK when it shares one telling word
        and is among the nearest in meaning ("I stopped commuting by train" for "I take the 7:52 train every
        morning"). A name of a whole statement (the speech-act reader's topic) counts only in a statement
        among the nearest."""
        said = split_speaker(candidate.text)[1]
        if (named or near) and names & (capitalised_names(said) if named else proper_names(said)):
            return STRONG
        common = shared(keys, content_keys(candidate.text))
        if len(common) < self._topic_overlap * len(keys):
            return NONE
        if not ended or len(telling(common)) >= 2:
            return STRONG
        return WEAK if near and len(telling(common)) == 1 else NONE

    async def _pointed_at(self, record: MemoryRecord, cue: Retraction) -> list[str]:
        """What "that" is: the statement just before, unless the turn says enough of its own ("Ingrid's not my
        manager since the reorg, so that's outdated") and a statement nearer in meaning to what it says stands
        `pointer_gap` nearer to it than the one just before."""
        previous = await self._previous(record)
        wider = topic_of(" ".join(split_speaker(record.text)[1].split()))
        if len(telling(content_keys(wider))) < 2:
            return previous
        meant = await self._about(record, replace(cue, topic=wider, named=False))
        if not meant or meant[:1] == previous or self._topics is None or self._topics.name != record.embedder:
            return previous or meant[:1]
        (vector,) = await self._topics.embed([wider])
        found = {
            r.memory_id: float(r.vector @ np.asarray(vector, dtype=np.float32))
            for r in await self._store.get(record.namespace, [*previous, meant[0]])
        }
        if not previous or found.get(meant[0], 0.0) >= found.get(previous[0], 0.0) + self._pointer_gap:
            return meant[:1]
        return previous

    async def _previous(self, record: MemoryRecord) -> list[str]:
        hits = await self._store.vector_search(
            record.namespace, record.vector, SESSION_LOOKBACK, self._earlier(record, same_session=True)
        )
        earlier = [
            h.record
            for h in hits
            if self._statement(h.record, record) and len(content_keys(h.record.text)) >= MIN_STATEMENT_WORDS
        ]
        return [max(earlier, key=lambda r: (r.occurred_at, r.chunk_index)).memory_id] if earlier else []

    async def _restatements(self, record: MemoryRecord, targets: Sequence[str]) -> list[str]:
        """Earlier statements of the same facts as `targets`."""
        if not targets:
            return []
        found: list[str] = []
        for target in await self._store.get(record.namespace, list(targets)):
            stated = condition_of(target.text)
            keys = content_keys(stated.then if stated is not None else target.text)
            names = proper_names(target.text)
            hits = await self._store.vector_search(
                record.namespace, target.vector, self._candidates + 1, self._earlier(record)
            )
            for hit in hits:
                if not self._statement(hit.record, record) or hit.record.memory_id == target.memory_id:
                    continue
                if stated is None and condition_of(hit.record.text) is not None:
                    continue  # "I keep the early shift while I'm on the data team" rests on the fact, not restates it
                cosine = float(hit.record.vector @ target.vector)
                if (
                    cosine >= self._restatement_cosine
                    or (
                        cosine >= self._related_cosine
                        and overlap(keys, content_keys(hit.record.text)) >= self._restatement_overlap
                    )
                    or (cosine >= self._named_cosine and names & proper_names(hit.record.text))
                ):
                    found.append(hit.record.memory_id)
        return found
