"""The asynchronous client: `AsyncMemory` and `AsyncSession`, the same calls as `Memory` on grpc.aio.

async with AsyncMemory(namespace="acme/support-bot/alice") as memory:
    async with memory.session(agent="support-bot", opening="My order never came") as session:
        context = await session.warm()
        await session.capture("My order never came")
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import grpc
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2_grpc

from somnia_client import messages
from somnia_client.channels import aio_channel, call_metadata
from somnia_client.client import configure
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


class AsyncMemory:
    """Arguments as for `Memory`. Make it inside a running event loop (grpc.aio channels bind to one)."""

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
            "AsyncMemory",
            settings,
            namespace=namespace,
            api_key=api_key,
            capture_address=capture_address,
            recall_address=recall_address,
        )
        self.namespace = self.settings.namespace
        self.retry = RetryPolicy.of(self.settings)
        self._metadata = call_metadata(self.settings)
        self._capture_channel = aio_channel(self.settings.capture_target(), self.settings)
        self._recall_channel = aio_channel(self.settings.recall_target(), self.settings)
        self._capture = capture_pb2_grpc.CaptureServiceStub(self._capture_channel)
        self._recall = recall_pb2_grpc.RecallServiceStub(self._recall_channel)

    async def _call(
        self, method: str, rpc: Callable[..., Awaitable[R]], request: Any, timeout_s: float | None = None
    ) -> R:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await rpc(request, timeout=timeout_s or self.settings.timeout_s, metadata=self._metadata)
            except grpc.RpcError as exc:
                error = translate(exc, method)
                wait = self.retry.wait_s(error, attempt)
                if wait is None:
                    raise error from None
                await asyncio.sleep(wait)

    async def start_session(
        self, *, session_id: str = "", agent: str = "", opening: str = "", tools: Sequence[str] = ()
    ) -> str:
        request = messages.start_request(self.namespace, session_id or messages.new_id("s"), agent, opening, tools)
        return str((await self._call("StartSession", self._capture.StartSession, request)).session_id)

    async def capture(
        self,
        session_id: str,
        content: str,
        *,
        role: Role = "user",
        turn_id: str = "",
        occurred_at: datetime | None = None,
        speaker: str = "",
    ) -> TurnAck:
        (ack,) = await self.capture_many(session_id, [Turn(content, role, turn_id, occurred_at, speaker=speaker)])
        return ack

    async def capture_many(self, session_id: str, turns: Iterable[Turn | str]) -> list[TurnAck]:
        request = messages.capture_request(self.namespace, session_id, turns)
        return messages.acks(await self._call("Capture", self._capture.Capture, request))

    async def capture_stream(
        self, session_id: str, turns: AsyncIterable[Turn | str] | Iterable[Turn | str]
    ) -> list[TurnAck]:
        """Turns sent one by one as they come (not retried; see Memory.capture_stream)."""

        async def stream() -> AsyncIterator[capture_pb2.CaptureStreamRequest]:
            if isinstance(turns, AsyncIterable):
                async for turn in turns:
                    yield capture_pb2.CaptureStreamRequest(
                        namespace=self.namespace, session_id=session_id, turn=messages.turn_message(turn)
                    )
            else:
                for turn in turns:
                    yield capture_pb2.CaptureStreamRequest(
                        namespace=self.namespace, session_id=session_id, turn=messages.turn_message(turn)
                    )

        try:
            response = await self._capture.CaptureStream(stream(), metadata=self._metadata)
        except grpc.RpcError as exc:
            raise translate(exc, "CaptureStream") from None
        return messages.acks(response)

    async def end_session(self, session_id: str, outcome: Outcome = "unspecified") -> None:
        request = messages.end_request(self.namespace, session_id, outcome)
        await self._call("EndSession", self._capture.EndSession, request)

    async def recall(self, query: str, k: int = 10, **options: Any) -> RecallResult:
        request = messages.recall_request(self.namespace, query, k, **options)
        try:
            return messages.recall_result(await self._call("Recall", self._recall.Recall, request))
        except NotFound:
            return NOTHING_RECALLED  # the namespace holds nothing yet

    async def warm(self, session_id: str, **options: Any) -> WarmContext:
        request = messages.warm_request(self.namespace, session_id, **options)
        try:
            return messages.warm_context(await self._call("WarmCache", self._recall.WarmCache, request))
        except NotFound:
            return NOTHING_TO_WARM  # a new namespace: nothing to know yet

    async def wake(self, session_id: str, text: str, **options: Any) -> WakeDelta:
        request = messages.wake_request(self.namespace, session_id, text, **options)
        try:
            return messages.wake_delta(await self._call("WakeDelta", self._recall.WakeDelta, request))
        except NotFound:
            return NOTHING_NEW

    async def feedback(self, memory_id: str, signal: Signal, **options: Any) -> str:
        request = messages.feedback_request(self.namespace, signal, memory_id=memory_id, **options)
        return str((await self._call("Feedback", self._recall.Feedback, request)).feedback_id)

    async def forget(self, **target: Any) -> ForgetReport:
        request = messages.forget_request(self.namespace, **target)
        response = await self._call("Forget", self._recall.Forget, request, self.settings.forget_timeout_s)
        return messages.forget_report(response)

    def session(
        self, *, agent: str = "", opening: str = "", tools: Sequence[str] = (), session_id: str = ""
    ) -> AsyncSession:
        return AsyncSession(self, agent=agent, opening=opening, tools=tools, session_id=session_id)

    async def close(self) -> None:
        await self._capture_channel.close()
        await self._recall_channel.close()

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncSession:
    """As `Session`, for `async with`."""

    def __init__(
        self, memory: AsyncMemory, *, agent: str, opening: str, tools: Sequence[str], session_id: str = ""
    ) -> None:
        self.memory, self.agent, self.opening, self.tools = memory, agent, opening, tuple(tools)
        self.session_id = session_id or messages.new_id("s")
        self.outcome: Outcome | None = None
        self.held: dict[str, None] = {}  # as Session.held

    async def __aenter__(self) -> AsyncSession:
        await self.memory.start_session(
            session_id=self.session_id, agent=self.agent, opening=self.opening, tools=self.tools
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.memory.end_session(self.session_id, self.outcome or ("failed" if kind else "succeeded"))

    async def warm(self, **options: Any) -> WarmContext:
        return await self.memory.warm(
            self.session_id, agent=self.agent, opening=self.opening, tools=self.tools, **options
        )

    async def wake(self, text: str, *, known: Iterable[str] = (), **options: Any) -> WakeDelta:
        delta = await self.memory.wake(self.session_id, text, known=messages.known_ids(self.held, known), **options)
        self.held.update(dict.fromkeys(m.memory_id for m in delta.memories))
        return delta

    async def capture(self, content: str, *, role: Role = "user", **options: Any) -> TurnAck:
        return await self.memory.capture(self.session_id, content, role=role, **options)

    async def capture_many(self, turns: Iterable[Turn | str]) -> list[TurnAck]:
        return await self.memory.capture_many(self.session_id, turns)

    async def recall(self, query: str, k: int = 10, **options: Any) -> RecallResult:
        return await self.memory.recall(query, k, **options)

    async def feedback(self, memory_id: str, signal: Signal, **options: Any) -> str:
        return await self.memory.feedback(memory_id, signal, session_id=self.session_id, **options)
