"""The cluster path against the one-machine path, in one run on this machine:

1. warm start time of NATS, Weaviate and Neo4j (installs cached by `make backends-install`);
2. end-to-end ingest throughput (gRPC Capture → JetStream → embedding → store) with the embedded
   store and with Weaviate, on the same turns;
3. Recall p50/p99 (gRPC, client-side, query embedding included) over what was ingested, per store.

Prints a table and writes benchmarks/results/backends.json. Usage:
    uv run python benchmarks/backends_bench.py [--ingest 2000] [--queries 300]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from somnia_backends import Neo4jServer, WeaviateServer, install_neo4j, install_weaviate
from somnia_memory_store import MemoryStoreSettings, open_memory_store
from somnia_nats_server import NatsServer

sys.path.insert(0, str(Path(__file__).parent))
import skeleton_bench as skeleton
import synthetic

console = Console()
RESULTS = Path(__file__).parent / "results"


def timed_start(server: NatsServer | WeaviateServer | Neo4jServer) -> float:
    started = time.monotonic()
    server.start()
    return time.monotonic() - started


async def count_in(store_env: dict[str, str], home: Path) -> int:
    settings = MemoryStoreSettings(
        **{k.removeprefix("SOMNIA_STORE_").lower(): v for k, v in store_env.items()}, data_dir=home / "store"
    )
    store = open_memory_store(settings)
    try:
        return await store.count(skeleton.NS)
    finally:
        await store.aclose()


async def wait_ingested(store_env: dict[str, str], home: Path, expected: int, started: float) -> float:
    while await count_in(store_env, home) < expected:
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


def run_store(name: str, store_env: dict[str, str], texts: list[str], queries: list[str]) -> dict[str, float]:
    saved = {k: os.environ.get(k) for k in store_env}
    os.environ.update(store_env)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            supervisor, settings = skeleton.start_somnia(home)
            try:
                started = time.perf_counter()
                asyncio.run(skeleton.bench_ingest_send(settings, texts))
                seconds = asyncio.run(wait_ingested(store_env, home, len(texts), started))
                recall = asyncio.run(skeleton.bench_recall(settings, queries, warmup=20))
            finally:
                supervisor.stop()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    console.print(f"{name}: ingest {len(texts) / seconds:.0f} turns/s, recall p99 {recall['p99_ms']:.1f} ms")
    return {"ingest_turns_per_s": len(texts) / seconds, **recall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ingest", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    install_weaviate()
    install_neo4j()
    results: dict[str, object] = {"when": datetime.now(UTC).isoformat(), "cpus": os.cpu_count(), "args": vars(args)}
    texts = synthetic.texts(args.ingest, seed=5)
    queries = synthetic.questions(args.queries + 20, seed=6)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        nats, weaviate, neo4j = (
            NatsServer(root / "nats"),
            WeaviateServer(root / "weaviate"),
            Neo4jServer(root / "neo4j"),
        )
        try:
            results["warm_start_s"] = {
                "nats": timed_start(nats),
                "weaviate": timed_start(weaviate),
                "neo4j": timed_start(neo4j),
            }
            neo4j.stop()  # the services do not use the graph yet; free its memory for the measurement
            results["embedded"] = run_store("embedded", {"SOMNIA_STORE_KIND": "embedded"}, texts, queries)
            results["weaviate"] = run_store(
                "weaviate",
                {
                    "SOMNIA_STORE_KIND": "weaviate",
                    "SOMNIA_STORE_WEAVIATE_HTTP_PORT": str(weaviate.http_port),
                    "SOMNIA_STORE_WEAVIATE_GRPC_PORT": str(weaviate.grpc_port),
                    "SOMNIA_STORE_WEAVIATE_COLLECTION": "BenchMemory",
                    "SOMNIA_STORE_WEAVIATE_API_KEY": weaviate.api_key,
                },
                texts,
                queries,
            )
        finally:
            for server in (neo4j, weaviate, nats):
                server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "backends.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title=f"embedded store vs Weaviate ({args.ingest} turns, {args.queries} queries, one run)")
    for column in ("store", "ingest turns/s", "Recall p50 ms", "Recall p99 ms"):
        table.add_column(column)
    for name in ("embedded", "weaviate"):
        r = results[name]
        assert isinstance(r, dict)
        table.add_row(name, f"{r['ingest_turns_per_s']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}")
    console.print(table)
    starts = results["warm_start_s"]
    assert isinstance(starts, dict)
    console.print("warm start: " + ", ".join(f"{k} {v:.1f}s" for k, v in starts.items()))


if __name__ == "__main__":
    main()
