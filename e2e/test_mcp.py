"""Somnia's MCP server driven by the MCP SDK's own client, over stdio and over streamable HTTP, against
the real services: remember, recall, warm_context, whats_new, feedback, forget, the warm-context resource and the
prompt; over HTTP each caller's own key is what Somnia checks."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from somnia_nats_server import free_port

from .client_world import NS, World

pytestmark = pytest.mark.integration


def server_env(world: World, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "GRPC_ENABLE_FORK_SUPPORT": "false",
        "SOMNIA_NAMESPACE": NS,
        "SOMNIA_CAPTURE_ADDRESS": world.capture,
        "SOMNIA_RECALL_ADDRESS": world.recall,
        **extra,
    }


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def exercise(session: ClientSession) -> None:
    """The whole tool set, as an agent would use it."""
    await session.initialize()
    tools = {t.name for t in (await session.list_tools()).tools}
    assert tools == {"remember", "recall", "warm_context", "whats_new", "feedback", "forget"}
    assert "nothing is remembered yet" in text_of(await session.call_tool("warm_context", {"opening": "x"})).lower()

    fact = f"My locker code at the climbing gym is {time.monotonic_ns() % 100000}."
    remembered = await session.call_tool("remember", {"text": fact})
    assert not remembered.isError and "remembered" in text_of(remembered)

    deadline = time.monotonic() + 30
    while True:
        found = await session.call_tool("recall", {"query": "climbing gym locker code", "k": 3})
        memories = found.structuredContent["memories"] if found.structuredContent else []
        if any(fact == m["text"] for m in memories):
            break
        assert time.monotonic() < deadline, text_of(found)
        await asyncio.sleep(0.3)
    memory_id = next(m["memory_id"] for m in memories if m["text"] == fact)

    assert "locker" in text_of(await session.call_tool("warm_context", {"opening": "going climbing"}))
    # Live wake: the locker code was said in this very session, which the agent has; nothing new.
    new = await session.call_tool("whats_new", {"turn": "what was my locker code again?"})
    assert not new.isError and "nothing new" in text_of(new).lower(), text_of(new)
    empty = await session.call_tool("whats_new", {"turn": "   "})
    assert empty.isError and "text is empty" in text_of(empty)
    resource = await session.read_resource("somnia://warm-context")  # type: ignore[arg-type]
    assert "locker" in resource.contents[0].text  # type: ignore[union-attr]
    prompt = await session.get_prompt("answer_with_memory", {"question": "what is my locker code?"})
    assert fact in prompt.messages[0].content.text  # type: ignore[union-attr]

    helped = await session.call_tool("feedback", {"memory_id": memory_id, "signal": "helped"})
    assert not helped.isError, text_of(helped)
    unknown = await session.call_tool("feedback", {"memory_id": "m-nope", "signal": "helped"})
    assert unknown.isError and "m-nope" in text_of(unknown)  # Somnia's own message, passed on

    erased = await session.call_tool("forget", {"memory_id": memory_id})
    assert "forgotten: 1 memories" in text_of(erased), text_of(erased)
    bad = await session.call_tool("forget", {})
    assert bad.isError and "exactly one" in text_of(bad)


def test_stdio_session_uses_every_tool(world: World) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "somnia_mcp"],
        env=server_env(world, SOMNIA_API_KEY=world.keys["alice-app"]),
    )

    async def scenario() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await exercise(session)

    world.loop.run(scenario())


@pytest.fixture
def http_server(world: World) -> Iterator[str]:
    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "somnia_mcp"],
        env=server_env(world, SOMNIA_MCP_TRANSPORT="http", SOMNIA_MCP_PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (
                process.stderr.read() if process.stderr else ""
            )
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(10)


def test_http_sessions_act_as_their_callers(world: World, http_server: str) -> None:
    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {world.keys['alice-app']}"}
        async with (
            streamable_http_client(http_server, http_client=create_mcp_http_client(headers)) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await exercise(session)
        async with streamable_http_client(http_server) as (read, write, _), ClientSession(read, write) as anonymous:
            await anonymous.initialize()
            refused = await anonymous.call_tool("recall", {"query": "anything"})
            assert refused.isError and "Authorization: Bearer" in text_of(refused)
        bogus = {"Authorization": "Bearer somnia_nope_nope"}
        async with (
            streamable_http_client(http_server, http_client=create_mcp_http_client(bogus)) as (read, write, _),
            ClientSession(read, write) as stranger,
        ):
            await stranger.initialize()
            refused = await stranger.call_tool("recall", {"query": "anything"})
            assert refused.isError and "key" in text_of(refused).lower(), text_of(refused)

    world.loop.run(scenario())
