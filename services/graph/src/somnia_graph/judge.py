"""An LLM judge for what the offline cues miss (opt-in: SOMNIA_GRAPH_SERVICE_JUDGE_BASE_URL). For a new
memory and the older memories of the same speaker nearest to it, it asks an OpenAI-compatible model
whether the new one replaces an older one (the world changed: a supersession), shows it was wrong
(a contradiction: the older is disproven, with the new one as evidence) or takes it back (a retraction:
the older is retracted, and left out of default recall). It reads pairs the regex cues
did not decide, at most `max_pairs` per batch, and never fails a batch: an endpoint that is down or an
answer that is not the JSON asked for decides nothing (logged).

For a statement the cues read as taking something back, it also picks what among the speaker's nearest
statements it takes back (`taken_back`): "forget what I told you about my GP" is about "I'm registered
with Dr Whitfield", which no word and no embedding ties to it."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import httpx
from somnia_extraction import ChatEndpoint
from somnia_memory_store import MemoryRecord

log = logging.getLogger("somnia.graph.judge")
Relation = Literal["supersedes", "contradicts", "retracts", "consistent", "unrelated"]
RELATIONS: tuple[Relation, ...] = ("supersedes", "contradicts", "retracts", "consistent", "unrelated")

PROMPT = """Two statements from the same speaker's memory, the earlier first.

Earlier ({earlier_at}): {earlier}
Later ({later_at}): {later}

Decide how the later statement relates to the earlier one:
- "supersedes": both are about the same thing, and the later gives a new value that replaced the old one
  (the world changed: a new address, a new favourite, a rescheduled date);
- "contradicts": the later shows the earlier was wrong all along (a correction of a mistake, a refutation);
- "retracts": the later takes the earlier back without a new value (the speaker withdraws it, asks for it
  to be forgotten, or says it no longer applies);
- "consistent": both can be true together;
- "unrelated": they are about different things.
Answer with a JSON object only: {{"relation": "<one of the five>", "reason": "<at most 20 words>"}}"""


TAKEN_BACK_PROMPT = """A speaker takes something back. Their statement, and earlier statements of theirs, numbered.

Taking back ({later_at}): {later}

Earlier:
{earlier}

Which earlier statements does it take back: withdraw, ask to be forgotten, or say no longer hold? Only
those it is about; none if it is about none of them.
Answer with a JSON object only: {{"taken_back": [<numbers>], "reason": "<at most 20 words>"}}"""


@dataclass(frozen=True)
class Judgement:
    relation: Relation
    reason: str


class ContradictionJudge:
    def __init__(self, endpoint: ChatEndpoint, *, max_pairs: int = 16) -> None:
        self._endpoint = endpoint
        self.max_pairs = max_pairs

    async def judge(self, earlier: MemoryRecord, later: MemoryRecord) -> Judgement | None:
        prompt = PROMPT.format(
            earlier=earlier.text[:1000],
            later=later.text[:1000],
            earlier_at=earlier.occurred_at.date().isoformat(),
            later_at=later.occurred_at.date().isoformat(),
        )
        try:
            answer = await self._endpoint.complete(prompt, json_object=True)
            body = json.loads(answer)
            relation = str(body["relation"]).strip().lower()
            reason = " ".join(str(body.get("reason", "")).split())[:300]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("the contradiction judge gave no usable answer (%r); the pair stays undecided", exc)
            return None
        if relation not in RELATIONS:
            log.warning("the contradiction judge answered %r, not one of %s", relation, RELATIONS)
            return None
        return Judgement(relation, reason)

    async def taken_back(self, later: MemoryRecord, earlier: Sequence[MemoryRecord]) -> list[MemoryRecord] | None:
        """The statements of `earlier` that `later` takes back ([] for none), or None when the judge gave
        no usable answer (the offline choice stands)."""
        prompt = TAKEN_BACK_PROMPT.format(
            later=later.text[:1000],
            later_at=later.occurred_at.date().isoformat(),
            earlier="\n".join(
                f"{n}. ({r.occurred_at.date().isoformat()}) {r.text[:500]}" for n, r in enumerate(earlier, 1)
            ),
        )
        try:
            answer = json.loads(await self._endpoint.complete(prompt, json_object=True))
            picked = [int(n) for n in answer["taken_back"]]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("the judge gave no usable answer on what was taken back (%r); the cues' choice stands", exc)
            return None
        if any(not 1 <= n <= len(earlier) for n in picked):
            log.warning("the judge picked %s of %d statements; the cues' choice stands", picked, len(earlier))
            return None
        return [earlier[n - 1] for n in dict.fromkeys(picked)]

    async def aclose(self) -> None:
        await self._endpoint.aclose()
