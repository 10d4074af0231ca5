"""Warm pack and live wake at scale: build and delta latency over 100,000 memories in one namespace.

The same cached fixture as skeleton_bench.py (real embeddings of synthetic memories, the graph as the
graph service writes it; built once with a progress bar, then reused from ~/.cache/somnia/bench), served
by `somnia up`. Measured through gRPC, each after 10 warm-up calls, in one command:
- Recall (the reference: the same server, the same memories);
- WarmCache with `rebuild` and a new session and opening each call: the server's build time
  (`build_ms`) and the client's;
- WakeDelta with a new turn each call: the client's time (query embedding included).
Writes benchmarks/results/warm_scale.json. Usage:
    uv run python benchmarks/warm_scale_bench.py [--memories 100000] [--calls 200]
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key

sys.path.insert(0, str(Path(__file__).parent))
import skeleton_bench as skeleton
import synthetic

console = Console()
RESULTS = Path(__file__).parent / "results"
WARMUP = 10


async def bench_wake(settings: Any, turns: list[str]) -> dict[str, float]:
    """One WakeDelta per turn of a session, holding what earlier deltas gave (as the SDK's Session does)."""
    took, items = [], []
    held: list[str] = []
    async with open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        for i, turn in enumerate(turns):
            start = time.perf_counter()
            delta = await stub.WakeDelta(
                recall_pb2.WakeDeltaRequest(
                    namespace=skeleton.NS, session_id="wake-bench", text=turn, known_memory_ids=held
                )
            )
            if i >= WARMUP:
                took.append((time.perf_counter() - start) * 1000)
                items.append(len(delta.items))
            held += [item.memory_id for item in delta.items]
    return {
        "calls": len(took),
        "client_p50_ms": skeleton.percentile(took, 50),
        "client_p99_ms": skeleton.percentile(took, 99),
        "items_median": skeleton.percentile(items, 50),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cache = skeleton.cached_fixture(args.memories)
    supervisor, settings = skeleton.start_somnia(cache)
    try:
        questions = synthetic.questions(args.calls + WARMUP)
        recall = asyncio.run(skeleton.bench_recall(settings, questions, warmup=WARMUP))
        warm = asyncio.run(skeleton.bench_warm(settings, questions[::-1], warmup=WARMUP))
        wake = asyncio.run(bench_wake(settings, synthetic.texts(args.calls + WARMUP, seed=77)))
    finally:
        supervisor.stop()
    results = {
        "when": datetime.now(UTC).isoformat(),
        "memories": args.memories,
        "recall": recall,
        "warm_pack": warm,
        "wake_delta": wake,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "warm_scale.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title=f"Warm pack and live wake over {args.memories:,} memories (one namespace, gRPC)")
    table.add_column("call")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_row("Recall (reference)", f"{recall['p50_ms']:.1f}", f"{recall['p99_ms']:.1f}")
    table.add_row("WarmCache build (server)", f"{warm['build_p50_ms']:.1f}", f"{warm['build_p99_ms']:.1f}")
    table.add_row("WarmCache (client)", f"{warm['client_p50_ms']:.1f}", f"{warm['client_p99_ms']:.1f}")
    table.add_row("WakeDelta (client)", f"{wake['client_p50_ms']:.1f}", f"{wake['client_p99_ms']:.1f}")
    console.print(table)
    console.print(f"results: {RESULTS / 'warm_scale.json'}")


if __name__ == "__main__":
    main()
