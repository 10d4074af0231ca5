"""The chat proxy between the `openai` client library and a recording upstream, with the real Somnia
behind it: memory injected under the caller's own system message, both sides captured (streaming too),
upstream errors passed back unchanged, memory switched off per request.

The upstream is a fake: no language model runs here. It records what it received and answers in the
OpenAI wire format (a JSON completion, or SSE chunks)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest
import uvicorn
from somnia_chat_proxy.app import create_app
from somnia_chat_proxy.conversation import MARK
from somnia_chat_proxy.settings import ProxySettings
from somnia_client import ClientSettings, Memory
from somnia_nats_server import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .client_world import NS, World

pytestmark = pytest.mark.integration


class RecordingUpstream:
    """Fake model endpoint: keeps every request body, answers with `reply` (or streams it)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.reply = "Noted."

    def app(self) -> Starlette:
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.bodies.append(body)
            if body.get("model") == "broken":
                return JSONResponse(
                    {"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limited"}},
                    429,
                    headers={"retry-after": "7"},
                )
            if body.get("stream"):
                return StreamingResponse(self.chunks(), media_type="text/event-stream")
            return JSONResponse(
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": self.reply}}
                    ],
                }
            )

        async def models(_: Request) -> Response:
            return JSONResponse(
                {"object": "list", "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "test"}]}
            )

        return Starlette(
            routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models, methods=["GET"])]
        )

    async def chunks(self) -> AsyncIterator[bytes]:
        for piece in (self.reply[: len(self.reply) // 2], self.reply[len(self.reply) // 2 :]):
            chunk = {
                "id": "c2",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            yield f"data: {json.dumps(chunk)}\n\n".encode()
            await asyncio.sleep(0.01)
        yield b"data: [DONE]\n\n"


def serve(world: World, app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    asyncio.run_coroutine_threadsafe(server.serve(), world.loop.loop)
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    return server


@pytest.fixture
def proxied(world: World) -> Iterator[tuple[openai.OpenAI, RecordingUpstream]]:
    upstream = RecordingUpstream()
    upstream_port, proxy_port = free_port("127.0.0.1"), free_port("127.0.0.1")
    fake = serve(world, upstream.app(), upstream_port)
    client_settings = ClientSettings(namespace=NS, capture_address=world.capture, recall_address=world.recall)
    proxy_app = create_app(ProxySettings(upstream=f"http://127.0.0.1:{upstream_port}/v1"), client_settings)
    proxy = serve(world, proxy_app, proxy_port)
    client = openai.OpenAI(
        base_url=f"http://127.0.0.1:{proxy_port}/v1",
        api_key="sk-test-model-key",
        default_headers={"X-Somnia-Key": world.keys["alice-app"]},
        max_retries=0,
    )
    yield client, upstream
    client.close()
    for server in (proxy, fake):
        server.should_exit = True
    time.sleep(0.5)


def memory_text(body: dict[str, Any]) -> str:
    return "\n".join(
        m["content"] for m in body["messages"] if m["role"] == "system" and str(m["content"]).startswith(MARK)
    )


def recalled(world: World, query: str, text: str, timeout_s: float = 30) -> bool:
    settings = ClientSettings(
        namespace=NS, api_key=world.keys["alice-app"], capture_address=world.capture, recall_address=world.recall
    )
    with Memory(settings=settings) as memory:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(text in m.text for m in memory.recall(query, k=5)):
                return True
            time.sleep(0.3)
    return False


def test_memory_is_injected_captured_and_errors_pass_unchanged(world: World, proxied: Any) -> None:
    client, upstream = proxied
    first = client.chat.completions.create(
        model="fake-model",
        messages=[
            {"role": "system", "content": "You are a concierge."},
            {"role": "user", "content": "I am vegetarian and I live in Porto."},
        ],
    )
    assert first.choices[0].message.content == "Noted."
    assert memory_text(upstream.bodies[-1]) == ""  # nothing remembered yet: nothing injected
    assert recalled(world, "is the user vegetarian", "vegetarian")  # the user's turn was captured

    upstream.reply = "Try the falafel place on Rua Augusta."
    streamed = client.chat.completions.create(
        model="fake-model",
        stream=True,
        messages=[
            {"role": "system", "content": "You are a concierge."},
            {"role": "user", "content": "Suggest a dinner place for tonight."},
        ],
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed)
    assert text == "Try the falafel place on Rua Augusta."  # the stream passed through whole
    sent = upstream.bodies[-1]
    assert sent["messages"][0]["content"] == "You are a concierge."  # the caller's own system message first
    assert sent["messages"][1]["content"].startswith(MARK) and "vegetarian" in memory_text(sent)
    assert recalled(world, "falafel place", "Rua Augusta")  # the streamed reply was captured

    off = client.chat.completions.with_raw_response.create(
        model="fake-model",
        messages=[{"role": "user", "content": "Suggest a dinner place for tonight."}],
        extra_headers={"X-Somnia-Memory": "off"},
    )
    assert off.headers["x-somnia-memory"] == "off" and memory_text(upstream.bodies[-1]) == ""

    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "hello"}])
    assert limited.value.status_code == 429 and "slow down" in str(limited.value)
    assert limited.value.response.headers["retry-after"] == "7"

    assert [m.id for m in client.models.list()] == ["fake-model"]  # other /v1 paths pass through


def test_a_caller_without_a_valid_somnia_key_still_chats_without_memory(world: World, proxied: Any) -> None:
    client, upstream = proxied
    answer = client.chat.completions.with_raw_response.create(
        model="fake-model",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers={"X-Somnia-Key": "somnia_nope_nope"},
    )
    assert answer.status_code == 200 and answer.headers["x-somnia-memory"] == "unavailable"
    assert memory_text(upstream.bodies[-1]) == ""


def test_a_callers_key_can_name_its_namespace(world: World) -> None:
    key = world.keys["alice-app"]
    key_id = key.removeprefix("somnia_").partition("_")[0]
    upstream = RecordingUpstream()
    upstream_port, proxy_port = free_port("127.0.0.1"), free_port("127.0.0.1")
    fake = serve(world, upstream.app(), upstream_port)
    settings = ProxySettings(
        upstream=f"http://127.0.0.1:{upstream_port}/v1",
        namespace_by_key={key_id: "acme/mapped/alice"},
        allow_namespace_header=True,
    )
    client_settings = ClientSettings(namespace=NS, capture_address=world.capture, recall_address=world.recall)
    proxy = serve(world, create_app(settings, client_settings), proxy_port)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{proxy_port}/v1", api_key="sk-x", max_retries=0)
    try:
        client.chat.completions.create(
            model="fake-model",
            messages=[{"role": "user", "content": "My cat is called Miso."}],
            # The header names another namespace: the key's mapping wins.
            extra_headers={"X-Somnia-Key": key, "X-Somnia-Namespace": "acme/elsewhere/alice"},
        )
        mapped = ClientSettings(
            namespace="acme/mapped/alice", api_key=key, capture_address=world.capture, recall_address=world.recall
        )
        with Memory(settings=mapped) as memory:
            deadline = time.monotonic() + 30
            while not any("Miso" in m.text for m in memory.recall("what is my cat called", k=3)):
                assert time.monotonic() < deadline, "the turn never reached the key's namespace"
                time.sleep(0.3)
    finally:
        client.close()
        for server in (proxy, fake):
            server.should_exit = True
        time.sleep(0.5)
