"""What the SDK costs over raw gRPC: Recall round trips through `somnia_client.Memory` against the same
calls on a bare generated stub with the same key, against one `somnia up`, in alternating rounds.

    uv run python benchmarks/sdk_bench.py [--memories 500] [--queries 200] [--rounds 5]

Writes benchmarks/results/sdk.json.
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_channel, read_local_key
from somnia_client import ClientSettings, Memory, Turn

sys.path.insert(0, str(Path(__file__).parent))
from skeleton_bench import percentile, start_somnia

console = Console()
RESULTS = Path(__file__).parent / "results"
NS = "bench/sdk/user"
TOPICS = ["the kayak trip", "the Lisbon move", "the staging deploy", "the dentist", "the wedding toast"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    queries = [f"what happened with {TOPICS[i % len(TOPICS)]} ({i})" for i in range(args.queries)]
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = start_somnia(Path(tmp) / "home")
        try:
            client = ClientSettings(
                namespace=NS,
                home=settings.home,
                capture_address=settings.capture_address,
                recall_address=settings.recall_address,
            )
            memory = Memory(settings=client)
            turns = [
                Turn(f"Note {i} about {TOPICS[i % len(TOPICS)]}, detail {i * 7919 % 10007}.")
                for i in range(args.memories)
            ]
            for start in range(0, len(turns), 100):
                memory.capture_many(f"s{start // 100}", turns[start : start + 100])
            while len(memory.recall("note", k=1)) == 0:
                time.sleep(0.2)
            time.sleep(3.0)  # let the rest of the batch land
            key = read_local_key(settings.auth_dir)
            channel = open_channel(settings.recall_address, token=key)
            stub = recall_pb2_grpc.RecallServiceStub(channel)

            def raw(query: str) -> None:
                stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=query, k=10), timeout=10)

            def sdk(query: str) -> None:
                memory.recall(query, k=10)

            for call in (raw, sdk):  # warm both paths
                for q in queries[:20]:
                    call(q)
            timings: dict[str, list[dict[str, float]]] = {"raw gRPC": [], "SDK": []}
            for _ in range(args.rounds):
                for name, call in (("raw gRPC", raw), ("SDK", sdk)):
                    samples = []
                    for q in queries:
                        started = time.perf_counter()
                        call(q)
                        samples.append((time.perf_counter() - started) * 1000)
                    timings[name].append({"p50": percentile(samples, 50), "p99": percentile(samples, 99)})
            channel.close()
            memory.close()
        finally:
            supervisor.stop()
    results = {
        "parameters": vars(args),
        **{
            name: {q: round(statistics.median(r[q] for r in rounds), 2) for q in ("p50", "p99")}
            for name, rounds in timings.items()
        },
        "rounds": timings,
    }
    results["ratio"] = {q: round(results["SDK"][q] / results["raw gRPC"][q], 3) for q in ("p50", "p99")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sdk.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title=f"Recall round trips, {args.queries} queries x {args.rounds} rounds (medians of rounds)")
    for column in ("path", "p50 ms", "p99 ms"):
        table.add_column(column)
    for name in ("raw gRPC", "SDK"):
        table.add_row(name, f"{results[name]['p50']:.1f}", f"{results[name]['p99']:.1f}")
    table.add_row("SDK / raw", f"{results['ratio']['p50']:.2f}x", f"{results['ratio']['p99']:.2f}x")
    console.print(table)


if __name__ == "__main__":
    main()
