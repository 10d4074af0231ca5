"""Recall throughput as callers grow, with one recall process and with several behind the same port.

`somnia up` is started with each count of `--workers` (SOMNIA_RECALL_WORKERS) and each reranker of
`--rerankers` (SOMNIA_RERANKER_KIND: the cross-encoder, and `off` as the baseline); the LoCoMo
development conversations are imported through the capture API, and closed-loop callers (each its own
gRPC connection, as separate agents would have; the kernel spreads connections across the workers
bound to the port) ask the conversations' questions for `--seconds`, at 1, 8 and 32 callers. Reported:
recalls a second, and p50 / p99 latency as the caller sees it (query embedding included). The callers
run on the same machine, so they take CPU from the servers too: on 2 cores that is part of the figure.

    uv run python benchmarks/recall_load_bench.py [--workers 1,2] [--rerankers onnx-ms-marco,off]
        [--callers 1,8,32] [--seconds 20]
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton

console = Console(width=140)
RESULTS = Path(__file__).parent / "results"


async def callers(settings: Any, questions: list[tuple[str, str]], count: int, seconds: float) -> dict[str, float]:
    from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
    from somnia_auth import open_aio_channel, read_local_key

    token = read_local_key(settings.auth_dir)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def caller(offset: int) -> None:
        nonlocal errors
        # A connection of its own, as a separate agent's process has: channels of one process to one
        # address otherwise share a single connection, and every caller would land on one worker.
        own = [("grpc.use_local_subchannel_pool", 1)]
        async with open_aio_channel(settings.recall_address, token=token, options=own) as channel:
            stub = recall_pb2_grpc.RecallServiceStub(channel)
            i = offset
            while time.perf_counter() < deadline:
                namespace, question = questions[i % len(questions)]
                i += count
                started = time.perf_counter()
                try:
                    await stub.Recall(recall_pb2.RecallRequest(namespace=namespace, query=question, k=10))
                except Exception:  # counted, never hidden: a refused call is not a recall
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(caller(n) for n in range(count)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "callers": count,
        "recalls": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


async def load(
    settings: Any, conversations: list[dict[str, Any]], counts: list[int], seconds: float
) -> list[dict[str, float]]:
    from somnia_auth import read_local_key

    systems = locomo.Systems(Path(settings.home), settings.recall_address)
    questions: list[tuple[str, str]] = []
    try:
        for conv in conversations:
            namespace = f"locomo/{conv['sample_id']}/load"
            n = await locomo.import_conversation(
                settings.capture_address, namespace, conv["conversation"], read_local_key(settings.auth_dir)
            )
            await locomo.wait_linked(systems, namespace, n)
            questions += [(namespace, qa["question"]) for qa in conv["qa"]]
    finally:
        await systems.aclose()
    await callers(settings, questions, 4, 3.0)  # warm every worker's model and caches
    return [await callers(settings, questions, count, seconds) for count in counts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--workers", type=lambda t: [int(x) for x in t.split(",")], default=[1, 2])
    parser.add_argument("--callers", type=lambda t: [int(x) for x in t.split(",")], default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rerankers", type=lambda t: t.split(","), default=["onnx-ms-marco", "off"])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    conversations = json.loads(args.data.read_text())
    runs: dict[str, list[dict[str, float]]] = {}
    for reranker in args.rerankers:
        for workers in args.workers:
            env = {
                "SOMNIA_RECALL_WORKERS": str(workers),
                "SOMNIA_RERANKER_KIND": reranker,
                **skeleton.LOAD_AWARE_RERANK,
            }
            with tempfile.TemporaryDirectory() as tmp:
                supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", env)
                try:
                    runs[f"{workers} / {reranker}"] = asyncio.run(
                        load(settings, conversations, args.callers, args.seconds)
                    )
                finally:
                    supervisor.stop()
    table = Table(title=f"Recall under load through `somnia up` ({os.cpu_count()} cores, callers on the same machine)")
    for column in ("recall workers / reranker", "callers", "recalls / s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="right")
    for run, results in runs.items():
        for r in results:
            table.add_row(
                run,
                str(r["callers"]),
                f"{r['per_second']:.0f}",
                f"{r['p50_ms']:.0f}",
                f"{r['p99_ms']:.0f}",
                str(r["errors"]),
            )
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    record = {"when": datetime.now(UTC).isoformat(), "cores": os.cpu_count(), "seconds": args.seconds, "runs": runs}
    (RESULTS / "recall_load.json").write_text(json.dumps(record, indent=2) + "\n")
    console.print(f"results: {RESULTS / 'recall_load.json'}")


if __name__ == "__main__":
    main()
