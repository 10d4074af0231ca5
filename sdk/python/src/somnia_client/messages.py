"""Requests built from plain arguments, and responses read into results: shared by the sync and the
async client, so both send exactly the same thing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from somnia.capture.v1 import capture_pb2
from somnia.recall.v1 import recall_pb2

from somnia_client.results import (
    ForgetReport,
    RecalledMemory,
    RecallResult,
    Scores,
    Turn,
    TurnAck,
    WakeDelta,
    WarmContext,
    WarmLayer,
)

ROLES = {
    "user": capture_pb2.ROLE_USER,
    "assistant": capture_pb2.ROLE_ASSISTANT,
    "system": capture_pb2.ROLE_SYSTEM,
    "tool": capture_pb2.ROLE_TOOL,
}
OUTCOMES = {
    "unspecified": capture_pb2.SESSION_OUTCOME_UNSPECIFIED,
    "succeeded": capture_pb2.SESSION_OUTCOME_SUCCEEDED,
    "failed": capture_pb2.SESSION_OUTCOME_FAILED,
    "abandoned": capture_pb2.SESSION_OUTCOME_ABANDONED,
}
SIGNALS = {
    "helped": recall_pb2.FEEDBACK_SIGNAL_HELPED,
    "misled": recall_pb2.FEEDBACK_SIGNAL_MISLED,
    "succeeded": recall_pb2.FEEDBACK_SIGNAL_SUCCEEDED,
    "failed": recall_pb2.FEEDBACK_SIGNAL_FAILED,
    "disproven": recall_pb2.FEEDBACK_SIGNAL_DISPROVEN,
    "retracted": recall_pb2.FEEDBACK_SIGNAL_RETRACTED,
    "checked_absent": recall_pb2.FEEDBACK_SIGNAL_CHECKED_ABSENT,
}
LAYERS = {
    "L1": recall_pb2.LAYER_L1_IMMEDIATE,
    "L2": recall_pb2.LAYER_L2_SESSION,
    "L3": recall_pb2.LAYER_L3_DOMAIN,
    "L4": recall_pb2.LAYER_L4_STRATEGIC,
}
LAYER_NAMES = {value: name for name, value in LAYERS.items()}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp


def as_datetime(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def choose(name: str, value: str, allowed: dict[str, int]) -> int:
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is unknown; use one of {', '.join(allowed)}")
    return allowed[value]


def turn_message(turn: Turn | str) -> capture_pb2.Turn:
    turn = Turn(turn) if isinstance(turn, str) else turn
    message = capture_pb2.Turn(
        turn_id=turn.turn_id or new_id("t"),
        role=choose("role", turn.role, ROLES),
        content=turn.content,
        speaker=turn.speaker,
    )
    if turn.occurred_at is not None:
        message.occurred_at.CopyFrom(timestamp(turn.occurred_at))
    if turn.tool_call is not None:
        message.tool_call.CopyFrom(
            capture_pb2.ToolCall(
                name=turn.tool_call.name, arguments_json=turn.tool_call.arguments_json, result=turn.tool_call.result
            )
        )
    return message


def capture_request(namespace: str, session_id: str, turns: Iterable[Turn | str]) -> capture_pb2.CaptureRequest:
    return capture_pb2.CaptureRequest(
        namespace=namespace, session_id=session_id, turns=[turn_message(t) for t in turns]
    )


def start_request(
    namespace: str, session_id: str, agent: str, opening: str, tools: Sequence[str]
) -> capture_pb2.StartSessionRequest:
    return capture_pb2.StartSessionRequest(
        namespace=namespace, session_id=session_id, agent=agent, opening=opening, tools=list(tools)
    )


def end_request(namespace: str, session_id: str, outcome: str) -> capture_pb2.EndSessionRequest:
    return capture_pb2.EndSessionRequest(
        namespace=namespace, session_id=session_id, outcome=choose("outcome", outcome, OUTCOMES)
    )


def recall_request(
    namespace: str,
    query: str,
    k: int,
    *,
    sessions: Sequence[str] = (),
    roles: Sequence[str] = (),
    kinds: Sequence[str] = (),
    after: datetime | None = None,
    before: datetime | None = None,
    alpha: float | None = None,
    expand_graph: bool | None = None,
    token_budget: int | None = None,
    as_of: datetime | None = None,
    include_archived: bool = False,
    valid_at: datetime | None = None,
    include_retracted: bool = False,
    timeline: bool = False,
    adapters: Sequence[str] = (),
) -> recall_pb2.RecallRequest:
    request = recall_pb2.RecallRequest(
        namespace=namespace,
        query=query,
        k=k,
        include_archived=include_archived,
        include_retracted=include_retracted,
        timeline=timeline,
        adapters=list(adapters),
    )
    if sessions:
        request.filter.session_ids.extend(sessions)
    if roles:
        request.filter.roles.extend(roles)
    if kinds:
        request.filter.kinds.extend(kinds)
    if after is not None:
        request.filter.occurred_after.CopyFrom(timestamp(after))
    if before is not None:
        request.filter.occurred_before.CopyFrom(timestamp(before))
    if alpha is not None:
        request.alpha = alpha
    if expand_graph is not None:
        request.expand_graph = expand_graph
    if token_budget is not None:
        request.token_budget = token_budget
    if as_of is not None:
        request.as_of.CopyFrom(timestamp(as_of))
    if valid_at is not None:
        request.valid_at.CopyFrom(timestamp(valid_at))
    return request


def warm_request(
    namespace: str,
    session_id: str,
    *,
    agent: str = "",
    opening: str = "",
    tools: Sequence[str] = (),
    budgets: dict[str, int] | None = None,
    rebuild: bool = False,
    adapters: Sequence[str] = (),
) -> recall_pb2.WarmCacheRequest:
    return recall_pb2.WarmCacheRequest(
        namespace=namespace,
        session_id=session_id,
        agent=agent,
        opening=opening,
        tools=list(tools),
        budgets=[
            recall_pb2.LayerBudget(layer=choose("layer", layer, LAYERS), tokens=tokens)
            for layer, tokens in (budgets or {}).items()
        ],
        rebuild=rebuild,
        adapters=list(adapters),
    )


def feedback_request(
    namespace: str,
    signal: str,
    *,
    memory_id: str = "",
    session_id: str = "",
    note: str = "",
    evidence_memory_id: str = "",
    feedback_id: str = "",
) -> recall_pb2.FeedbackRequest:
    return recall_pb2.FeedbackRequest(
        namespace=namespace,
        memory_id=memory_id,
        session_id=session_id,
        signal=choose("signal", signal, SIGNALS),
        note=note,
        evidence_memory_id=evidence_memory_id,
        # Made here, so a retried report is counted once.
        feedback_id=feedback_id or new_id("f"),
    )


def forget_request(
    namespace: str,
    *,
    memory_id: str = "",
    session_id: str = "",
    subject: str = "",
    entire_namespace: bool = False,
    reason: str = "",
) -> recall_pb2.ForgetRequest:
    targets = [bool(memory_id), bool(session_id), bool(subject), entire_namespace]
    if sum(targets) != 1:
        raise ValueError("forget needs exactly one of memory_id, session_id, subject or entire_namespace=True")
    request = recall_pb2.ForgetRequest(namespace=namespace, reason=reason)
    if memory_id:
        request.memory_id = memory_id
    elif session_id:
        request.session_id = session_id
    elif subject:
        request.subject = subject
    else:
        request.entire_namespace, request.confirm_namespace = True, namespace
    return request


def acks(response: capture_pb2.CaptureResponse | capture_pb2.CaptureStreamResponse) -> list[TurnAck]:
    return [TurnAck(a.turn_id, a.sequence, a.duplicate) for a in response.acks]


def memory(item: recall_pb2.RecalledItem) -> RecalledMemory:
    s = item.scores
    return RecalledMemory(
        memory_id=item.memory_id,
        text=item.text,
        kind=item.kind,
        session_id=item.session_id,
        turn_id=item.provenance.turn_id,
        role=item.provenance.role,
        occurred_at=as_datetime(item.occurred_at, item.HasField("occurred_at")),
        scores=Scores(s.fused, s.vector, s.keyword, s.relevance, s.recency, s.importance, s.final, s.strength),
        why=item.why,
        tokens=item.tokens,
        status=item.status,
        status_reason=item.status_reason,
        superseded_by=item.superseded_by,
        changed_by=item.changed_by,
        archived=item.archived,
    )


def recall_result(response: recall_pb2.RecallResponse) -> RecallResult:
    return RecallResult(
        [memory(i) for i in response.items],
        response.token_count,
        response.answer_may_be_absent,
        tuple(response.adapters_applied),
    )


# The server's limit on known_memory_ids: a session holding more sends the newest.
MAX_KNOWN_IDS = 4096


def known_ids(held: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """What the agent holds, as a WakeDelta request says it: `extra` first, then the newest of `held`
    (ordered oldest first), at most MAX_KNOWN_IDS in all."""
    first = list(dict.fromkeys(extra))[:MAX_KNOWN_IDS]
    rest = [m for m in held if m not in set(first)]
    return first + rest[max(0, len(rest) - (MAX_KNOWN_IDS - len(first))) :]


def wake_request(
    namespace: str,
    session_id: str,
    text: str,
    *,
    token_budget: int | None = None,
    known: Iterable[str] = (),
    adapters: Sequence[str] = (),
) -> recall_pb2.WakeDeltaRequest:
    request = recall_pb2.WakeDeltaRequest(
        namespace=namespace, session_id=session_id, text=text, known_memory_ids=list(known), adapters=list(adapters)
    )
    if token_budget is not None:
        request.token_budget = token_budget
    return request


def wake_delta(response: recall_pb2.WakeDeltaResponse) -> WakeDelta:
    return WakeDelta(
        rendered=response.rendered,
        token_count=response.token_count,
        memories=[memory(i) for i in response.items],
        adapters_applied=tuple(response.adapters_applied),
    )


def warm_context(response: recall_pb2.WarmCacheResponse) -> WarmContext:
    return WarmContext(
        rendered=response.rendered,
        token_count=response.token_count,
        layers=[
            WarmLayer(
                LAYER_NAMES.get(layer.layer, "?"), layer.budget, layer.token_count, [memory(i) for i in layer.items]
            )
            for layer in response.layers
        ],
        from_cache=response.from_cache,
        adapters_applied=tuple(response.adapters_applied),
    )


def forget_report(response: recall_pb2.ForgetResponse) -> ForgetReport:
    return ForgetReport(
        response.audit_id,
        response.already_forgotten,
        response.memories,
        response.graph_nodes,
        response.warm_packs,
        response.stream_messages,
        response.adapters_stale,
    )
