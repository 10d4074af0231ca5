"""The cluster path against the one-machine path on the same conversations, through the Recall API.

The LoCoMo development conversations are imported through gRPC Capture into `somnia up` twice: once
on the embedded stores, once on a real Weaviate and Neo4j (started here on loopback). Every question
is asked through Recall on both, with the defaults, and evidence recall@1/@5/@10 is reported by
category for each path, beside plain hybrid search on each path's store (the store's part of any gap).
Issue 19 asks for the two paths within a point of each other.

The data is read from ../shared/bench/locomo/ (evaluation only; never copied into the repository).
Writes benchmarks/results/backend_parity.json. Usage:
    uv run python benchmarks/backend_parity_bench.py [--data ../shared/bench/locomo/locomo_dev.json]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels (see locomo_bench).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key
from somnia_backends import Neo4jServer, WeaviateServer
from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_memory_store import MemoryStoreSettings, open_memory_store

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton

console = Console()
RESULTS = Path(__file__).parent / "results"
PATHS = ("embedded", "weaviate + neo4j")
SYSTEMS = ("Recall API", "hybrid only")
# sums[path][system][category][k] = [all-evidence hits, fractional sum, questions]
Sums = dict[str, dict[str, dict[str, dict[int, list[float]]]]]


def start_cluster(tmp: Path, stack: ExitStack) -> dict[str, str]:
    """Weaviate and Neo4j on loopback, stopped with `stack`; returns the settings that point at them."""
    weaviate = WeaviateServer(tmp / "weaviate").start()
    stack.callback(weaviate.stop)
    neo4j = Neo4jServer(tmp / "neo4j").start()
    stack.callback(neo4j.stop)
    return skeleton.cluster_env(weaviate, neo4j)


def run_path(path: str, conversations: list[dict[str, Any]], sums: Sums) -> float:
    """One `somnia up` on one path: import, wait until linked, ask; returns the import seconds."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = start_cluster(Path(tmp), stack) if path != "embedded" else {}
        saved = {k: os.environ.get(k) for k in env}
        try:
            supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", env)
            stack.callback(supervisor.stop)
            return asyncio.run(ask_all(path, conversations, settings, sums))
        finally:
            for key, value in saved.items():  # start_somnia exported them; the next path must not see them
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


async def ask_all(path: str, conversations: list[dict[str, Any]], settings: Any, sums: Sums) -> float:
    home = Path(settings.home)
    store = open_memory_store(MemoryStoreSettings(data_dir=home / "store"))
    graph = open_graph_store(GraphStoreSettings(data_dir=home / "store"))
    embedder = OnnxMiniLMEmbedder()
    channel = open_aio_channel(settings.recall_address, token=read_local_key(home / "auth"))
    stub = recall_pb2_grpc.RecallServiceStub(channel)
    started = time.perf_counter()
    try:
        for conv in conversations:
            namespace = f"locomo/{conv['sample_id']}/eval"
            n = await locomo.import_conversation(
                settings.capture_address, namespace, conv["conversation"], read_local_key(settings.auth_dir)
            )
            await locomo.wait_stored(store, graph, namespace, n, timeout_s=1800)
        imported = time.perf_counter() - started
        console.print(f"{path}: {len(conversations)} conversations imported, indexed and linked in {imported:.0f} s")
        questions = [(conv, qa) for conv in conversations for qa in conv["qa"] if locomo.evidence_of(qa)]
        with Progress(console=console) as progress:
            task = progress.add_task(f"{path}: asking {len(questions)} questions", total=len(questions))
            for conv, qa in questions:
                namespace = f"locomo/{conv['sample_id']}/eval"
                request = recall_pb2.RecallRequest(namespace=namespace, query=qa["question"], k=10)
                response = await stub.Recall(request)
                (vector,) = await embedder.embed([qa["question"]])
                hits = await store.hybrid_search(namespace, qa["question"], vector, 10)
                ranked = {
                    "Recall API": [item.provenance.turn_id for item in response.items],
                    "hybrid only": [h.record.turn_id for h in hits],
                }
                category = locomo.CATEGORIES[int(qa["category"])]
                for system, turn_ids in ranked.items():
                    for k in locomo.KS:
                        all_hit, fraction = locomo.score(turn_ids, locomo.evidence_of(qa), k)
                        cell = sums[path][system][category][k]
                        cell[0] += all_hit
                        cell[1] += fraction
                        cell[2] += 1
                progress.advance(task)
        return imported
    finally:
        await channel.close()
        await store.aclose()
        await graph.aclose()


def shares(by_category: dict[str, dict[int, list[float]]]) -> dict[str, dict[str, float]]:
    """{category and "all": {"@k": fractional, "all@k": all-evidence}}."""
    out: dict[str, dict[str, float]] = {}
    totals = {k: [0.0, 0.0, 0.0] for k in locomo.KS}
    for category, by_k in sorted(by_category.items()):
        out[category] = {}
        for k, (all_hits, fractional, n) in by_k.items():
            out[category][f"@{k}"] = fractional / n
            out[category][f"all@{k}"] = all_hits / n
            for i, value in enumerate((all_hits, fractional, n)):
                totals[k][i] += value
    out["all"] = {}
    for k, (all_hits, fractional, n) in totals.items():
        out["all"][f"@{k}"] = fractional / n
        out["all"][f"all@{k}"] = all_hits / n
    return out


def report(sums: Sums, imported: dict[str, float]) -> None:
    figures = {path: {system: shares(sums[path][system]) for system in SYSTEMS} for path in PATHS}
    table = Table(title="LoCoMo dev, fractional evidence recall (all-evidence@10)")
    table.add_column("category")
    for path in PATHS:
        for system in SYSTEMS:
            table.add_column(f"{path}\n{system}\n@1 / @10 (all@10)", justify="right")
    table.add_column("Recall API\n@10 gap", justify="right")
    for category in figures[PATHS[0]][SYSTEMS[0]]:
        cells = []
        for path in PATHS:
            for system in SYSTEMS:
                f = figures[path][system][category]
                cells.append(f"{f['@1']:.3f} / {f['@10']:.3f} ({f['all@10']:.3f})")
        gap = figures[PATHS[1]][SYSTEMS[0]][category]["@10"] - figures[PATHS[0]][SYSTEMS[0]][category]["@10"]
        table.add_row(category, *cells, f"{gap:+.3f}")
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "backend_parity.json"
    out.write_text(
        json.dumps({"when": datetime.now(UTC).isoformat(), "import_s": imported, "paths": figures}, indent=2) + "\n"
    )
    console.print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found; pass --data PATH to locomo_dev.json")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    conversations = json.loads(args.data.read_text())
    sums: Sums = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: {k: [0.0, 0.0, 0.0] for k in locomo.KS})))
    imported = {path: run_path(path, conversations, sums) for path in PATHS}
    report(sums, imported)


if __name__ == "__main__":
    main()
