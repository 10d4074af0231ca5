"""The HTTP surface: POST /v1/chat/completions (streaming or not) with memory, every other /v1 path passed
through unchanged, GET /healthz. Upstream answers, errors included, go back to the caller as they came."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from somnia_client import ClientSettings, SomniaError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from somnia_chat_proxy.conversation import inject, new_messages, reply_turn, turn_of
from somnia_chat_proxy.memory import Memories
from somnia_chat_proxy.settings import ProxySettings

log = logging.getLogger("somnia.chat_proxy")
# Hop-by-hop and Somnia's own headers stay here; the caller's model key (Authorization) goes on.
DROPPED = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}


def upstream_headers(request: Request) -> dict[str, str]:
    return {
        k: v for k, v in request.headers.items() if k.lower() not in DROPPED and not k.lower().startswith("x-somnia-")
    }


def passthrough_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in DROPPED | {"content-encoding"}}


class StreamedReply:
    """Follows an SSE stream of chat.completion.chunk events, keeping the reply's text and tool calls."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self._pending = ""

    def feed(self, chunk: bytes) -> None:
        self._pending += chunk.decode("utf-8", errors="replace")
        while "\n\n" in self._pending:
            event, self._pending = self._pending.split("\n\n", 1)
            for line in event.splitlines():
                if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                    self._data(line[5:].strip())

    def _data(self, data: str) -> None:
        try:
            delta = (json.loads(data).get("choices") or [{}])[0].get("delta") or {}
        except (ValueError, AttributeError, IndexError):
            return
        if isinstance(delta.get("content"), str):
            self.content.append(delta["content"])
        for call in delta.get("tool_calls") or []:
            slot = self.tool_calls.setdefault(int(call.get("index", 0)), {"function": {"name": "", "arguments": ""}})
            function = call.get("function") or {}
            slot["function"]["name"] += function.get("name") or ""
            slot["function"]["arguments"] += function.get("arguments") or ""


def create_app(settings: ProxySettings, client: ClientSettings) -> Starlette:
    if not settings.upstream:
        raise ValueError("set SOMNIA_PROXY_UPSTREAM to the model endpoint's base URL (…/v1)")
    if not client.namespace:
        raise ValueError("set SOMNIA_NAMESPACE (tenant/agent/user) for the conversations this proxy serves")
    memories = Memories(settings, client)
    http = httpx.AsyncClient(base_url=settings.upstream.rstrip("/"), timeout=settings.upstream_timeout_s)

    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": {"message": "the body is not JSON", "type": "invalid_request_error"}}, 400)
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            return JSONResponse(
                {"error": {"message": "messages must be a list of objects", "type": "invalid_request_error"}}, 400
            )
        enabled = request.headers.get("x-somnia-memory", "on").lower() != "off"
        status, memory, session_id = "off", None, ""
        if enabled:
            try:
                memory = memories.memory_for(request.headers)
                session_id, text = await memories.context(memory, messages)
                body = {**body, "messages": inject(messages, text)}
                status = "on"
            except SomniaError as exc:  # memory must never break the chat
                log.warning("answering without memory: %s", exc)
                status, memory = "unavailable", None
        captured = [t for i, m in new_messages(messages) if (t := turn_of(i, m)) is not None]
        headers = {**upstream_headers(request), "content-type": "application/json"}
        if body.get("stream"):
            return await stream(body, headers, memory, session_id, captured, len(messages), status)
        answer = await http.post("/chat/completions", json=body, headers=headers)
        if answer.status_code == 200 and memory is not None:
            with contextlib.suppress(ValueError, AttributeError, IndexError, KeyError, TypeError):
                message = answer.json()["choices"][0]["message"]
                reply = reply_turn(len(messages), message.get("content") or "", message.get("tool_calls") or [])
                memories.capture_later(memory, session_id, [*captured, *([reply] if reply else [])])
        return Response(
            answer.content,
            answer.status_code,
            {**passthrough_headers(answer), "x-somnia-memory": status},
        )

    async def stream(
        body: dict[str, Any],
        headers: dict[str, str],
        memory: Any,
        session_id: str,
        captured: list[Any],
        index: int,
        status: str,
    ) -> Response:
        upstream = await http.send(
            http.build_request("POST", "/chat/completions", json=body, headers=headers), stream=True
        )
        if upstream.status_code != 200:
            content = await upstream.aread()
            await upstream.aclose()
            return Response(content, upstream.status_code, {**passthrough_headers(upstream), "x-somnia-memory": status})
        reply = StreamedReply()

        async def relay() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_raw():
                    reply.feed(chunk)
                    yield chunk
            finally:
                await upstream.aclose()
                if memory is not None:
                    calls = [reply.tool_calls[i] for i in sorted(reply.tool_calls)]
                    turn = reply_turn(index, "".join(reply.content), calls)
                    memories.capture_later(memory, session_id, [*captured, *([turn] if turn else [])])

        return StreamingResponse(
            relay(), upstream.status_code, {**passthrough_headers(upstream), "x-somnia-memory": status}
        )

    async def passthrough(request: Request) -> Response:
        path = request.url.path.removeprefix("/v1")
        answer = await http.request(
            request.method,
            path,
            params=request.query_params,
            content=await request.body(),
            headers=upstream_headers(request),
        )
        return Response(answer.content, answer.status_code, passthrough_headers(answer))

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await memories.aclose()
        await http.aclose()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/v1/{path:path}", passthrough, methods=["GET", "POST", "DELETE"]),
        ],
        lifespan=lifespan,
    )
    app.state.memories = memories
    return app
