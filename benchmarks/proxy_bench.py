"""What the chat proxy adds to a chat call: the same non-streaming calls sent straight to a local fake
model endpoint and through `somnia-chat-proxy` (memory on, against one `somnia up` holding a few hundred
memories), in alternating rounds. Two kinds of call: a turn of a conversation already under way (recall
and inject), and the first call of a new conversation (start a session, warm, recall, inject). The fake
answers at once, so the difference is the proxy's own cost.

    uv run python benchmarks/proxy_bench.py [--calls 100] [--rounds 3]

Writes benchmarks/results/proxy.json.
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from somnia_chat_proxy.app import create_app
from somnia_chat_proxy.settings import ProxySettings
from somnia_client import ClientSettings, Memory, Turn
from somnia_nats_server import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).parent))
from skeleton_bench import percentile, start_somnia

console = Console()
RESULTS = Path(__file__).parent / "results"
NS = "bench/proxy/user"
TOPICS = ["the kayak trip", "the Lisbon move", "the staging deploy", "the dentist", "the wedding toast"]


def fake_upstream() -> Starlette:
    """Answers every chat call at once with a fixed completion (no model runs here)."""

    async def chat(request: Request) -> Response:
        body = await request.json()
        message = {"role": "assistant", "content": "Noted."}
        return JSONResponse(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def serve_in_thread(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def timed(client: httpx.Client, url: str, body: dict[str, Any]) -> float:
    started = time.perf_counter()
    client.post(url, json=body).raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100, help="calls per kind, path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memories", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = start_somnia(Path(tmp) / "home")
        servers: list[uvicorn.Server] = []
        try:
            client_settings = ClientSettings(
                namespace=NS,
                home=settings.home,
                capture_address=settings.capture_address,
                recall_address=settings.recall_address,
            )
            with Memory(settings=client_settings) as memory:
                turns = [
                    Turn(f"Note {i} about {TOPICS[i % 5]}, detail {i * 7919 % 10007}.") for i in range(args.memories)
                ]
                for start in range(0, len(turns), 100):
                    memory.capture_many(f"seed{start}", turns[start : start + 100])
                while len(memory.recall("note", k=1)) == 0:
                    time.sleep(0.2)
            time.sleep(3)
            upstream_port, proxy_port = free_port("127.0.0.1"), free_port("127.0.0.1")
            servers.append(serve_in_thread(fake_upstream(), upstream_port))
            proxy = create_app(ProxySettings(upstream=f"http://127.0.0.1:{upstream_port}/v1"), client_settings)
            servers.append(serve_in_thread(proxy, proxy_port))
            direct_url = f"http://127.0.0.1:{upstream_port}/v1/chat/completions"
            proxy_url = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
            samples: dict[str, list[list[float]]] = {k: [] for k in ("direct", "proxy, conversation", "proxy, new")}
            ongoing = [
                {"role": "user", "content": "Tell me about the kayak trip."},
                {"role": "assistant", "content": "It was on the river."},
            ]
            with httpx.Client(timeout=30, headers={"Authorization": "Bearer sk-bench"}) as http:
                for i in range(10):  # warm every path
                    timed(
                        http,
                        proxy_url,
                        {"model": "m", "messages": [*ongoing, {"role": "user", "content": f"warm {i}"}]},
                    )
                    timed(http, direct_url, {"model": "m", "messages": ongoing})
                for r in range(args.rounds):
                    for name in samples:
                        times = []
                        for i in range(args.calls):
                            question = {"role": "user", "content": f"What about {TOPICS[i % 5]}? ({r}-{i})"}
                            if name == "direct":
                                times.append(timed(http, direct_url, {"model": "m", "messages": [*ongoing, question]}))
                            elif name == "proxy, conversation":
                                times.append(timed(http, proxy_url, {"model": "m", "messages": [*ongoing, question]}))
                            else:
                                times.append(timed(http, proxy_url, {"model": "m", "messages": [question]}))
                        samples[name].append(times)
                    time.sleep(1)  # captures land between rounds
        finally:
            for server in servers:
                server.should_exit = True
            supervisor.stop()
    figures = {
        name: {q: round(statistics.median(percentile(t, q) for t in rounds), 2) for q in (50, 99)}
        for name, rounds in samples.items()
    }
    added = {
        name: {q: round(figures[name][q] - figures["direct"][q], 2) for q in (50, 99)}
        for name in samples
        if name != "direct"
    }
    results = {"parameters": vars(args), "ms": figures, "added_ms": added}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "proxy.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title=f"chat call latency, {args.calls} calls x {args.rounds} rounds (median of rounds)")
    for column in ("path", "p50 ms", "p99 ms", "added p50", "added p99"):
        table.add_column(column)
    for name, f in figures.items():
        a = added.get(name, {50: 0.0, 99: 0.0})
        table.add_row(name, f"{f[50]:.1f}", f"{f[99]:.1f}", f"{a[50]:+.1f}", f"{a[99]:+.1f}")
    console.print(table)


if __name__ == "__main__":
    main()
