"""Live wake: what the conversation, as it goes on, makes relevant that the agent does not hold yet.

A warm pack is fixed at session start; a session drifts. After each user turn the agent asks for the
delta: the memories the newest turn recalls, minus what the agent already holds (its pack, earlier
deltas, anything it names) and minus this session's own turns (the agent has the conversation), under
a token budget. The call is stateless: the caller says what it holds, so an agent that drops old
deltas from its context gets them again when they matter again.

The recall skips the cross-encoder (the slowest step): a delta must arrive before the agent
answers the turn that prompted it.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from somnia_memory_model import DREAMT_KINDS
from somnia_tokens import TokenCounter, pack_in_order
from somnia_warm_packs import PackItem

from somnia_retrieval.models import RankedMemory
from somnia_retrieval.pack_pool import closeness
from somnia_retrieval.retriever import Retriever
from somnia_retrieval.warm_pack import NOT_HOLDING, TokenCosts, render_line, to_pack_item

WAKE_HEADER = "## Now relevant: memories this conversation calls up"


class WakeDelta(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: tuple[PackItem, ...]
    rendered: str
    tokens: int
    tokenizer: str
    build_ms: float


class LiveWaker:
    def __init__(
        self,
        retriever: Retriever,
        tokens: TokenCounter,
        *,
        k: int = 20,
        min_relevance: float = 0.3,
        min_cosine: float = 0.25,
    ) -> None:
        self._retriever = retriever
        self._tokens = tokens
        self._k = k
        self._min_relevance = min_relevance
        self._min_cosine = min_cosine
        self._costs = TokenCosts(tokens)

    async def candidates(self, namespace: str, session_id: str, text: str) -> list[RankedMemory]:
        """What `text` recalls, best first, without this session's own memories or weak matches."""
        if not text.strip():
            return []
        vector = await self._retriever.embed_query(text)
        # Raises UnknownNamespace for a namespace with no memories, as Recall does.
        found = await self._retriever.recall(
            namespace, text, k=self._k, now=datetime.now(UTC), cross_encode=False, vector=vector
        )
        return [
            m
            for m in found
            if m.record.session_id != session_id
            and m.relevance >= self._min_relevance
            # Relevance is normalised per query, so some memory always looks relevant; small talk must
            # not call up the best of a bad lot.
            and closeness(m.record, vector) >= self._min_cosine
            and m.record.kind not in DREAMT_KINDS
            and m.standing.status != "superseded"  # its replacement comes instead, when it is relevant
            and m.standing.status not in NOT_HOLDING
        ]

    def select(self, candidates: Sequence[RankedMemory], known: Collection[str], budget: int) -> list[PackItem]:
        """The candidates the agent does not hold, best first, whose rendered lines fit `budget` tokens
        with the header."""
        fresh = [m for m in candidates if m.record.memory_id not in known]
        room = budget - self._tokens.count(WAKE_HEADER + "\n")
        packed = pack_in_order(fresh, room, lambda m: self._costs.line(m.record))
        return [
            to_pack_item(
                m.record,
                m.score,
                f"called up by the conversation: {m.why}",
                self._costs.text(m.record),
                status=m.standing.status,
            )
            for m, _ in packed.items
        ]

    async def delta(self, namespace: str, session_id: str, text: str, known: Collection[str], budget: int) -> WakeDelta:
        started = time.perf_counter()
        items = self.select(await self.candidates(namespace, session_id, text), known, budget)
        rendered = render_delta(items)
        # Token counts of joined text can differ from the sum of the lines; drop the weakest until it fits.
        while items and self._tokens.count(rendered) > budget:
            items.pop()
            rendered = render_delta(items)
        return WakeDelta(
            items=tuple(items),
            rendered=rendered,
            tokens=self._tokens.count(rendered) if items else 0,
            tokenizer=self._tokens.name,
            build_ms=(time.perf_counter() - started) * 1000.0,
        )


def render_delta(items: Sequence[PackItem]) -> str:
    if not items:
        return ""
    return "\n".join([WAKE_HEADER, *(render_line(i) for i in items)])
