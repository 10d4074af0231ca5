"""What recall does, without gRPC: answer a query within a token budget, get or build a session's warm pack,
record feedback, erase. The servicer converts protos to these calls and errors to statuses."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from somnia_contracts import ForgetTarget, SessionStarted, validate_namespace, validate_session_id
from somnia_erasure import Eraser, ErasureReport
from somnia_memory_store import SearchFilter
from somnia_parametric import AdapterRegistry, Served
from somnia_retrieval import (
    AbsenceSignal,
    InvalidQuery,
    LiveWaker,
    RankedMemory,
    Retriever,
    WakeDelta,
    WarmPackBuilder,
    WarmRequest,
    get_or_build,
)
from somnia_tokens import TokenCounter, pack_in_order
from somnia_warm_packs import LayerName, WarmPack, WarmPackStore

from somnia_recall.uses import UseRecorder

MAX_TOOLS = 64
MAX_ADAPTERS = 16
# What a live-wake caller may say it holds: a long session's deltas, with room to spare.
MAX_KNOWN_IDS = 4096
MAX_MEMORY_ID_CHARS = 256
ADAPTER_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SessionStarts = Callable[[str, str], Awaitable[SessionStarted | None]]


@dataclass(frozen=True)
class RecallLimits:
    """What one call may ask for; larger requests are refused with what to send instead."""

    default_k: int
    max_query_chars: int
    max_token_budget: int
    max_layer_tokens: int = 256_000


@dataclass(frozen=True)
class RecallQuery:
    namespace: str
    query: str
    k: int = 0
    alpha: float | None = None
    filter: SearchFilter | None = None
    expand_graph: bool | None = None
    as_of: datetime | None = None
    include_archived: bool = False
    valid_at: datetime | None = None
    include_retracted: bool = False
    timeline: bool = False
    token_budget: int | None = None
    adapters: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecallResult:
    """The memories that fit the budget, each with its token count, and the absence signal."""

    items: list[tuple[RankedMemory, int]]
    absence: AbsenceSignal
    adapters_applied: tuple[str, ...] = ()

    @property
    def token_count(self) -> int:
        return sum(tokens for _, tokens in self.items)


@dataclass(frozen=True)
class WarmQuery:
    namespace: str
    session_id: str
    agent: str = ""
    opening: str = ""
    tools: tuple[str, ...] = ()
    budgets: dict[LayerName, int] | None = None  # overrides per layer
    rebuild: bool = False
    adapters: tuple[str, ...] = ()


@dataclass(frozen=True)
class WakeQuery:
    namespace: str
    session_id: str
    text: str
    token_budget: int | None = None
    known: tuple[str, ...] = ()
    adapters: tuple[str, ...] = ()


class RecallService:
    def __init__(
        self,
        retriever: Retriever,
        warm_builder: WarmPackBuilder,
        tokens: TokenCounter,
        limits: RecallLimits,
        warm_budgets: dict[LayerName, int],
        *,
        waker: LiveWaker,
        wake_tokens: int,
        uses: UseRecorder | None = None,
    ) -> None:
        self._retriever = retriever
        self._warm_builder = warm_builder
        self._waker = waker
        if not 1 <= wake_tokens <= limits.max_token_budget:
            raise ValueError(
                f"SOMNIA_WARM_WAKE_TOKENS={wake_tokens} is out of range: set 1 to the recall token budget limit "
                f"({limits.max_token_budget}, SOMNIA_RECALL_MAX_TOKEN_BUDGET)"
            )
        self._wake_tokens = wake_tokens
        self._tokens = tokens
        self._limits = limits
        self._warm_budgets = warm_budgets
        self._uses = uses
        self.warm_packs: WarmPackStore | None = None
        self.eraser: Eraser | None = None
        self.adapters: AdapterRegistry | None = None
        self._session_starts: SessionStarts | None = None

    @property
    def tokenizer(self) -> str:
        return self._tokens.name

    def use_nats(
        self,
        packs: WarmPackStore,
        session_starts: SessionStarts,
        eraser: Eraser | None = None,
        adapters: AdapterRegistry | None = None,
    ) -> None:
        """Once NATS is connected: store and reuse packs in the KV bucket, read how sessions started,
        erase (Forget needs the streams and the buckets), and read which memories live adapters carry."""
        self.warm_packs = packs
        self._session_starts = session_starts
        self.eraser = eraser
        self.adapters = adapters

    async def _served(self, namespace: str, adapters: tuple[str, ...]) -> Served:
        """What the caller's adapters carry; their ids are checked before the registry is read."""
        if len(adapters) > MAX_ADAPTERS or any(not ADAPTER_ID.fullmatch(a) for a in adapters):
            raise InvalidQuery(
                f"adapters: at most {MAX_ADAPTERS} adapter ids as `somnia adapters` lists them "
                "(lower-case letters, digits and '-', up to 64 characters)"
            )
        if not adapters or self.adapters is None:
            return Served(frozenset(), ())
        return await self.adapters.served(namespace, adapters)

    async def recall(self, q: RecallQuery) -> RecallResult:
        validate_namespace(q.namespace)
        if len(q.query) > self._limits.max_query_chars:
            raise InvalidQuery(
                f"query is {len(q.query)} characters, over the limit of {self._limits.max_query_chars}; "
                "shorten it to the question itself"
            )
        if q.token_budget is not None and not 1 <= q.token_budget <= self._limits.max_token_budget:
            raise InvalidQuery(
                f"token_budget={q.token_budget} is out of range; use 1 to {self._limits.max_token_budget} tokens "
                "(or leave it unset for no budget)"
            )
        served = await self._served(q.namespace, q.adapters)
        k = q.k or self._limits.default_k
        # Ask for enough more that k remain once what the adapters carry is left out.
        fetch = min(self._retriever.max_k, k + len(served.memory_ids)) if served.memory_ids else k
        answer = await self._retriever.answer(
            q.namespace,
            q.query,
            k=fetch,
            alpha=q.alpha,
            filter=q.filter,
            expand_graph=q.expand_graph,
            as_of=q.as_of,
            include_archived=q.include_archived,
            valid_at=q.valid_at,
            include_retracted=q.include_retracted,
            timeline=q.timeline,
        )
        kept = [m for m in answer.memories if m.record.memory_id not in served.memory_ids][:k]
        counted = [(m, self._tokens.count(m.record.text)) for m in kept]
        if q.token_budget is not None:
            counted = [pair for pair, _ in pack_in_order(counted, q.token_budget, lambda pair: pair[1]).items]
        if self._uses is not None:
            self._uses.used(q.namespace, [m.record for m, _ in counted])
        return RecallResult(counted, answer.absence, served.applied)

    async def warm(self, q: WarmQuery) -> tuple[WarmPack, bool, tuple[str, ...]]:
        """The session's pack, whether it came from the bucket (built when it was not there), and the
        caller's adapters whose memories it leaves out."""
        served = await self._served(q.namespace, q.adapters)
        request = self._warm_request(q).model_copy(update={"exclude": served.memory_ids})
        if not (request.agent or request.opening or request.tools) and self._session_starts is not None:
            started = await self._session_starts(request.namespace, request.session_id)
            if started is not None:  # the session as StartSession described it
                request = request.model_copy(
                    update={"agent": started.agent, "opening": started.opening, "tools": started.tools}
                )
        pack, stored = await get_or_build(self._warm_builder, self.warm_packs, request, rebuild=q.rebuild)
        return pack, stored, served.applied

    async def wake_delta(self, q: WakeQuery) -> tuple[WakeDelta, tuple[str, ...]]:
        """What the session's newest turn makes relevant that the agent does not hold (its stored pack,
        what it names, what its adapters carry), and the adapters that were live."""
        validate_namespace(q.namespace)
        validate_session_id(q.session_id)
        if not q.text.strip():
            raise InvalidQuery("text is empty; send the newest turn's text, which the delta is about")
        if len(q.text) > self._limits.max_query_chars:
            raise InvalidQuery(
                f"text is {len(q.text)} characters, over the limit of {self._limits.max_query_chars}; "
                "send the newest turn (or the last few), not the whole conversation"
            )
        budget = self._wake_tokens if q.token_budget is None else q.token_budget
        if not 1 <= budget <= self._limits.max_token_budget:
            raise InvalidQuery(
                f"token_budget={budget} is out of range; use 1 to {self._limits.max_token_budget} tokens "
                f"(or leave it unset for {self._wake_tokens})"
            )
        if len(q.known) > MAX_KNOWN_IDS or any(not 1 <= len(m) <= MAX_MEMORY_ID_CHARS for m in q.known):
            raise InvalidQuery(
                f"known_memory_ids: at most {MAX_KNOWN_IDS} memory ids as items return them "
                f"(1 to {MAX_MEMORY_ID_CHARS} characters each); send the ones the agent still holds"
            )
        served = await self._served(q.namespace, q.adapters)
        known = set(q.known) | served.memory_ids
        if self.warm_packs is not None:
            pack = await self.warm_packs.get(q.namespace, q.session_id)
            if pack is not None:  # the agent was handed its pack at session start
                known |= pack.memory_ids
        delta = await self._waker.delta(q.namespace, q.session_id, q.text, known, budget)
        return delta, served.applied

    def _warm_request(self, q: WarmQuery) -> WarmRequest:
        validate_namespace(q.namespace)
        validate_session_id(q.session_id)
        if len(q.opening) > self._limits.max_query_chars:
            raise InvalidQuery(f"opening is {len(q.opening)} characters; at most {self._limits.max_query_chars}")
        if len(q.tools) > MAX_TOOLS or any(not 1 <= len(t) <= 128 for t in q.tools):
            raise InvalidQuery(f"tools: at most {MAX_TOOLS} names of 1 to 128 characters each")
        budgets = dict(self._warm_budgets)
        for layer, tokens in (q.budgets or {}).items():
            if not 1 <= tokens <= self._limits.max_layer_tokens:
                raise InvalidQuery(f"budget for {layer} is {tokens} tokens; use 1 to {self._limits.max_layer_tokens}")
            budgets[layer] = tokens
        return WarmRequest(
            namespace=q.namespace,
            session_id=q.session_id,
            agent=q.agent,
            opening=q.opening,
            tools=q.tools,
            budgets=budgets,
        )

    async def forget(
        self, namespace: str, target: ForgetTarget, value: str, reason: str, *, requested_by: str = ""
    ) -> ErasureReport:
        if self.eraser is None:
            raise ErasureUnavailable("forgetting needs NATS and the graph; recall runs without them")
        report = await self.eraser.forget(namespace, target, value, reason, requested_by=requested_by)
        # The builder holds some of the namespace's memories between packs (the profile, the strategic
        # candidates): none of it may outlive the erasure, even in this process's memory.
        self._warm_builder.forget_namespace(namespace)
        return report


class ErasureUnavailable(RuntimeError):
    """This recall process runs without NATS or the graph, so it cannot erase (or record feedback)."""
