"""The synchronous client: `Memory`, and `Session` for one conversation.

memory = Memory(namespace="acme/support-bot/alice")
with memory.session(agent="support-bot", opening="My order never came") as session:
    context = session.warm()                # what the agent should know, as text
    session.capture("My order never came", role="user")
    hits = session.recall("order number")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import grpc
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2_grpc

from somnia_client import messages
from somnia_client.channels import call_metadata, sync_channel
from somnia_client.errors import NotFound, translate
from somnia_client.results import (
    NOTHING_NEW,
    NOTHING_RECALLED,
    NOTHING_TO_WARM,
    ForgetReport,
    Outcome,
    RecallResult,
    Role,
    Signal,
    Turn,
    TurnAck,
    WakeDelta,
    WarmContext,
)
from somnia_client.retry import RetryPolicy
from somnia_client.settings import ClientSettings

R = TypeVar("R")


def configure(client: str, settings: ClientSettings | None, **overrides: str | None) -> ClientSettings:
    """The settings a client runs with: `settings` (else SOMNIA_* variables) with the arguments given on
    top; a namespace is required. `client` names the class in the error."""
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    resolved = settings.model_copy(update=given) if settings else ClientSettings(**given)
    if not resolved.namespace:
        raise ValueError(f"a namespace is needed: {client}(namespace='tenant/agent/user') or SOMNIA_NAMESPACE")
    return resolved


class Memory:
    """One tenant's (or agent's) memory in Somnia. Arguments left out come from SOMNIA_* variables, then
    from defaults that reach `somnia up` here (and its local key)."""

    def __init__(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        capture_address: str | None = None,
        recall_address: str | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        self.settings = configure(
            "Memory",
            settings,
            namespace=namespace,
            api_key=api_key,
            capture_address=capture_address,
            recall_address=recall_address,
        )
        self.namespace = self.settings.namespace
        self.retry = RetryPolicy.of(self.settings)
        self._metadata = call_metadata(self.settings)
        self._capture_channel = sync_channel(self.settings.capture_target(), self.settings)
        self._recall_channel = sync_channel(self.settings.recall_target(), self.settings)
        self._capture = capture_pb2_grpc.CaptureServiceStub(self._capture_channel)
        self._recall = recall_pb2_grpc.RecallServiceStub(self._recall_channel)

    def _call(self, method: str, rpc: Callable[..., R], request: Any, timeout_s: float | None = None) -> R:
        attempt = 0
        while True:
            attempt += 1
            try:
                return rpc(request, timeout=timeout_s or self.settings.timeout_s, metadata=self._metadata)
            except grpc.RpcError as exc:
                error = translate(exc, method)
                wait = self.retry.wait_s(error, attempt)
                if wait is None:
                    raise error from None
                time.sleep(wait)

    # -- capture ------------------------------------------------------------------------------

    def start_session(
        self, *, session_id: str = "", agent: str = "", opening: str = "", tools: Sequence[str] = ()
    ) -> str:
        request = messages.start_request(self.namespace, session_id or messages.new_id("s"), agent, opening, tools)
        return str(self._call("StartSession", self._capture.StartSession, request).session_id)

    def capture(
        self,
        session_id: str,
        content: str,
        *,
        role: Role = "user",
        turn_id: str = "",
        occurred_at: datetime | None = None,
        speaker: str = "",
    ) -> TurnAck:
        (ack,) = self.capture_many(session_id, [Turn(content, role, turn_id, occurred_at, speaker=speaker)])
        return ack

    def capture_many(self, session_id: str, turns: Iterable[Turn | str]) -> list[TurnAck]:
        """All turns are stored or none (the batch is checked before anything is kept)."""
        request = messages.capture_request(self.namespace, session_id, turns)
        return messages.acks(self._call("Capture", self._capture.Capture, request))

    def capture_stream(self, session_id: str, turns: Iterable[Turn | str]) -> list[TurnAck]:
        """Turns sent one by one as `turns` yields them (a long import). Not retried: a bad turn ends the
        stream, and the error says how many before it were kept."""
        stream = (
            capture_pb2.CaptureStreamRequest(
                namespace=self.namespace, session_id=session_id, turn=messages.turn_message(t)
            )
            for t in turns
        )
        try:
            response = self._capture.CaptureStream(stream, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise translate(exc, "CaptureStream") from None
        return messages.acks(response)

    def end_session(self, session_id: str, outcome: Outcome = "unspecified") -> None:
        self._call("EndSession", self._capture.EndSession, messages.end_request(self.namespace, session_id, outcome))

    # -- recall -------------------------------------------------------------------------------

    def recall(self, query: str, k: int = 10, **options: Any) -> RecallResult:
        """`options`: sessions, roles, kinds, after, before, alpha, expand_graph, token_budget, as_of,
        include_archived, valid_at, include_retracted, timeline, adapters (the LoRA adapters your model
        runs: what they carry is left out; see messages.recall_request). A namespace
        with nothing in it yet answers an empty result (answer_may_be_absent), not an error."""
        request = messages.recall_request(self.namespace, query, k, **options)
        try:
            return messages.recall_result(self._call("Recall", self._recall.Recall, request))
        except NotFound:
            return NOTHING_RECALLED  # the namespace holds nothing yet

    def warm(self, session_id: str, **options: Any) -> WarmContext:
        """`options`: agent, opening, tools, budgets ({"L1": 300, ...}), rebuild, adapters. A new namespace
        warms to an empty context."""
        request = messages.warm_request(self.namespace, session_id, **options)
        try:
            return messages.warm_context(self._call("WarmCache", self._recall.WarmCache, request))
        except NotFound:
            return NOTHING_TO_WARM  # a new namespace: nothing to know yet

    def wake(self, session_id: str, text: str, **options: Any) -> WakeDelta:
        """Live wake: the memories `text` (the newest turn) makes relevant that the agent does not hold.
        `options`: token_budget, known (memory ids the agent holds besides the session's warm pack),
        adapters. A namespace with nothing in it yet answers an empty delta."""
        request = messages.wake_request(self.namespace, session_id, text, **options)
        try:
            return messages.wake_delta(self._call("WakeDelta", self._recall.WakeDelta, request))
        except NotFound:
            return NOTHING_NEW

    def feedback(self, memory_id: str, signal: Signal, **options: Any) -> str:
        """`options`: session_id, note, evidence_memory_id, feedback_id. Returns the feedback id."""
        request = messages.feedback_request(self.namespace, signal, memory_id=memory_id, **options)
        return str(self._call("Feedback", self._recall.Feedback, request).feedback_id)

    def forget(self, **target: Any) -> ForgetReport:
        """One of memory_id=, session_id=, subject= or entire_namespace=True (needs admin); reason=."""
        request = messages.forget_request(self.namespace, **target)
        return messages.forget_report(
            self._call("Forget", self._recall.Forget, request, self.settings.forget_timeout_s)
        )

    # -- lifetime -------------------------------------------------------------------------------

    def session(
        self, *, agent: str = "", opening: str = "", tools: Sequence[str] = (), session_id: str = ""
    ) -> Session:
        return Session(self, agent=agent, opening=opening, tools=tools, session_id=session_id)

    def close(self) -> None:
        self._capture_channel.close()
        self._recall_channel.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Session:
    """One conversation: started on enter, ended on exit (`succeeded`, or `failed` when the block
    raised; set `outcome` to say otherwise)."""

    def __init__(self, memory: Memory, *, agent: str, opening: str, tools: Sequence[str], session_id: str = "") -> None:
        self.memory, self.agent, self.opening, self.tools = memory, agent, opening, tuple(tools)
        self.session_id = session_id or messages.new_id("s")
        self.outcome: Outcome | None = None
        # What live wake handed this session's agent, oldest first; the server leaves out the session's
        # warm pack itself. Delete ids the agent's context dropped, so they can come back.
        self.held: dict[str, None] = {}

    def __enter__(self) -> Session:
        self.memory.start_session(session_id=self.session_id, agent=self.agent, opening=self.opening, tools=self.tools)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.memory.end_session(self.session_id, self.outcome or ("failed" if kind else "succeeded"))

    def warm(self, **options: Any) -> WarmContext:
        return self.memory.warm(self.session_id, agent=self.agent, opening=self.opening, tools=self.tools, **options)

    def wake(self, text: str, *, known: Iterable[str] = (), **options: Any) -> WakeDelta:
        """The delta `text` calls up, minus the warm pack and what live wake already handed this session
        (`held`, the newest MAX_KNOWN_IDS of it) and `known`."""
        delta = self.memory.wake(self.session_id, text, known=messages.known_ids(self.held, known), **options)
        self.held.update(dict.fromkeys(m.memory_id for m in delta.memories))
        return delta

    def capture(self, content: str, *, role: Role = "user", **options: Any) -> TurnAck:
        return self.memory.capture(self.session_id, content, role=role, **options)

    def capture_many(self, turns: Iterable[Turn | str]) -> list[TurnAck]:
        return self.memory.capture_many(self.session_id, turns)

    def recall(self, query: str, k: int = 10, **options: Any) -> RecallResult:
        return self.memory.recall(query, k, **options)

    def feedback(self, memory_id: str, signal: Signal, **options: Any) -> str:
        return self.memory.feedback(memory_id, signal, session_id=self.session_id, **options)
