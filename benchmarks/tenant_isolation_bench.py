"""Does one tenant's data move another tenant's results? Measured through the real pipeline.

Each LoCoMo development conversation is imported into a tenant of its own and every question is asked
through Recall (k=10). Then copies of all the conversations are imported into other tenants (about
10,000 turns by default), and the same questions are asked again. Reported: evidence recall@1/5/10
before and after, how many questions got a different top 10 (ids, in order) and how many got any
search score (fused, vector, keyword) that differs in the last bit. Recency, which moves with the
clock, is left out of the comparison; uses are not recorded, so nothing strengthens between the passes.

The data is read from ../shared/bench/locomo/ (evaluation only; never copied into the repository).
Writes benchmarks/results/tenant_isolation.json. Usage:
    uv run python benchmarks/tenant_isolation_bench.py [--copies 6] [--data PATH]
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
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key

sys.path.insert(0, str(Path(__file__).parent))
import skeleton_bench as skeleton
from locomo_bench import KS, Systems, evidence_of, import_conversation, score, wait_linked

console = Console()
RESULTS = Path(__file__).parent / "results"
# What a question's answer is compared on: the ids in order and every score that does not depend on time.
Answer = list[tuple[str, float, float, float]]


async def ask_all(address: str, token: str, tenants: dict[str, dict[str, Any]]) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    questions = [(ns, i, qa) for ns, conv in tenants.items() for i, qa in enumerate(conv["qa"]) if evidence_of(qa)]
    async with open_aio_channel(address, token=token) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        with Progress(console=console) as progress:
            task = progress.add_task(f"asking {len(questions)} questions", total=len(questions))
            for namespace, i, qa in questions:
                response = await stub.Recall(
                    recall_pb2.RecallRequest(namespace=namespace, query=qa["question"], k=max(KS))
                )
                answers[f"{namespace}|{i}"] = [
                    (i.provenance.turn_id, i.scores.fused, i.scores.vector, i.scores.keyword) for i in response.items
                ]
                progress.advance(task)
    return answers


def recall_at(tenants: dict[str, dict[str, Any]], answers: dict[str, Answer]) -> dict[int, float]:
    hits = {k: 0.0 for k in KS}
    asked = 0
    for namespace, conv in tenants.items():
        for i, qa in enumerate(conv["qa"]):
            if not evidence_of(qa):
                continue
            ranked = [turn_id for turn_id, *_ in answers[f"{namespace}|{i}"]]
            asked += 1
            for k in KS:
                hits[k] += score(ranked, evidence_of(qa), k)[0]
    return {k: round(hits[k] / asked, 4) for k in KS}


async def run(conversations: list[dict[str, Any]], copies: int, settings: Any) -> dict[str, Any]:
    token = read_local_key(settings.auth_dir)
    systems = Systems(Path(settings.home), settings.recall_address)
    try:
        tenants = {f"tenant-{c['sample_id'].lower()}/locomo/user": c for c in conversations}
        for namespace, conv in tenants.items():
            n = await import_conversation(settings.capture_address, namespace, conv["conversation"], token)
            await wait_linked(systems, namespace, n)
        before = await ask_all(settings.recall_address, token, tenants)

        started, flooded = time.perf_counter(), 0
        for copy in range(copies):
            for conv in conversations:
                namespace = f"other-{copy}/locomo/{conv['sample_id'].lower()}"
                n = await import_conversation(settings.capture_address, namespace, conv["conversation"], token)
                await wait_linked(systems, namespace, n)
                flooded += n
        console.print(
            f"{flooded:,} turns imported into {copies * len(conversations)} other namespaces "
            f"in {time.perf_counter() - started:.0f} s"
        )
        after = await ask_all(settings.recall_address, token, tenants)
    finally:
        await systems.aclose()
    ranking_changed = sum([a[0] for a in before[q]] != [a[0] for a in after[q]] for q in before)
    score_changed = sum(before[q] != after[q] for q in before)
    return {
        "tenants": len(tenants),
        "questions": len(before),
        "other_tenants_turns": flooded,
        "recall_before": recall_at(tenants, before),
        "recall_after": recall_at(tenants, after),
        "questions_with_a_different_top10": ranking_changed,
        "questions_with_any_score_changed": score_changed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--copies", type=int, default=6, help="copies of every conversation in other tenants")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found; pass --data PATH to locomo_dev.json")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    conversations = json.loads(args.data.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = skeleton.start_somnia(Path(tmp) / "home")
        try:
            results = asyncio.run(run(conversations, args.copies, settings))
        finally:
            supervisor.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tenant_isolation.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(
        title=f"{results['tenants']} tenants, {results['questions']} questions, "
        f"{results['other_tenants_turns']:,} turns added to other tenants"
    )
    table.add_column("figure")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for k in KS:
        table.add_row(f"evidence recall@{k}", f"{results['recall_before'][k]:.3f}", f"{results['recall_after'][k]:.3f}")
    console.print(table)
    console.print(
        f"questions with a different top 10: {results['questions_with_a_different_top10']}; "
        f"with any search score changed: {results['questions_with_any_score_changed']}"
    )
    console.print(f"results: {RESULTS / 'tenant_isolation.json'}")
    sys.exit(0 if results["questions_with_any_score_changed"] == 0 else 1)


if __name__ == "__main__":
    main()
