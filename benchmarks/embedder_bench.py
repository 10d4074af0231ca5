"""What a stronger embedder buys: the LoCoMo development conversations through `somnia up`, once per
offline embedder (SOMNIA_EMBEDDER_KIND), each in a fresh home, in one command.

For each embedder: ingest throughput of the import (gRPC Capture → embedding → store → graph, as
`somnia up` runs it), then every question with evidence through the Recall API (the default pipeline,
cross-encoder included), and dense search alone straight from the store. Reported: all-evidence
recall@1, fractional recall@10 and multi-hop all-evidence recall@10, outside the adversarial category.

Writes benchmarks/results/embedders.json. Usage:
    uv run python benchmarks/embedder_bench.py [--embedders onnx-minilm,onnx-bge-small]
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton

console = Console(width=140)
RESULTS = Path(__file__).parent / "results"


async def evaluate(conversations: list[dict[str, Any]], settings: Any) -> dict[str, Any]:
    from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
    from somnia_auth import open_aio_channel, read_local_key
    from somnia_embedder import EmbedderSettings, create_embedder
    from somnia_graph_store.embedded.store import EmbeddedGraphStore
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    home = Path(settings.home)
    store = EmbeddedMemoryStore(home / "store" / "memories.sqlite3")
    graph = EmbeddedGraphStore(home / "store" / "graph.sqlite3")
    embedder = await create_embedder(EmbedderSettings())
    token = read_local_key(settings.auth_dir)
    turns = 0
    started = time.perf_counter()
    for conv in conversations:
        namespace = f"locomo/{conv['sample_id']}/eval"
        turns += await locomo.import_conversation(settings.capture_address, namespace, conv["conversation"], token)
    for conv in conversations:
        namespace = f"locomo/{conv['sample_id']}/eval"
        await locomo.wait_stored(store, graph, namespace, len(locomo.turns_of(conv["conversation"])))
    ingest_s = time.perf_counter() - started
    # sums[system][category] = [all@1, frac@10, all@10, questions]
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0, 0.0]))
    questions = [(c, qa) for c in conversations for qa in c["qa"] if locomo.evidence_of(qa)]
    async with open_aio_channel(settings.recall_address, token=token) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        with Progress(console=console) as progress:
            task = progress.add_task(f"asking {len(questions)} questions", total=len(questions))
            for conv, qa in questions:
                namespace = f"locomo/{conv['sample_id']}/eval"
                request = recall_pb2.RecallRequest(namespace=namespace, query=qa["question"], k=10)
                api = [item.provenance.turn_id for item in (await stub.Recall(request)).items]
                (vector,) = await embedder.embed([qa["question"]])
                dense = [h.record.turn_id for h in await store.vector_search(namespace, vector, 10)]
                category = locomo.CATEGORIES[int(qa["category"])]
                for system, ranked in (("Recall API", api), ("dense only", dense)):
                    for bucket in (category, "all but adversarial"):
                        if bucket == "all but adversarial" and category == "adversarial":
                            continue
                        cell = sums[system][bucket]
                        cell[0] += locomo.score(ranked, locomo.evidence_of(qa), 1)[0]
                        all10, frac10 = locomo.score(ranked, locomo.evidence_of(qa), 10)
                        cell[1] += frac10
                        cell[2] += all10
                        cell[3] += 1
                progress.advance(task)
    await store.aclose()
    await graph.aclose()
    await embedder.aclose()
    return {
        "turns": turns,
        "ingest_turns_per_s": turns / ingest_s,
        "systems": {
            system: {
                bucket: {"all@1": a / n, "frac@10": f / n, "all@10": t / n, "questions": int(n)}
                for bucket, (a, f, t, n) in by.items()
            }
            for system, by in sums.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--embedders", type=lambda t: t.split(","), default=["onnx-minilm", "onnx-bge-small"])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    conversations = json.loads(args.data.read_text())
    runs: dict[str, Any] = {}
    for kind in args.embedders:
        with tempfile.TemporaryDirectory() as tmp:
            supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", {"SOMNIA_EMBEDDER_KIND": kind})
            try:
                runs[kind] = asyncio.run(evaluate(conversations, settings))
            finally:
                supervisor.stop()
    table = Table(title="LoCoMo dev through somnia up, per embedder (all but adversarial)")
    for column in (
        "embedder",
        "ingest turns/s",
        "Recall @1",
        "Recall @10",
        "Recall multi-hop all@10",
        "dense @10",
    ):
        table.add_column(column, justify="right")
    for kind, run in runs.items():
        api, dense = run["systems"]["Recall API"], run["systems"]["dense only"]
        table.add_row(
            kind,
            f"{run['ingest_turns_per_s']:.0f}",
            f"{api['all but adversarial']['all@1']:.3f}",
            f"{api['all but adversarial']['frac@10']:.3f}",
            f"{api['multi-hop']['all@10']:.3f}",
            f"{dense['all but adversarial']['frac@10']:.3f}",
        )
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    record = {"when": datetime.now(UTC).isoformat(), "cores": os.cpu_count(), "runs": runs}
    (RESULTS / "embedders.json").write_text(json.dumps(record, indent=2) + "\n")
    console.print(f"results: {RESULTS / 'embedders.json'}")


if __name__ == "__main__":
    main()
