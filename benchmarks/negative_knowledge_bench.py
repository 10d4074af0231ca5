"""Negative knowledge said in conversation, measured through gRPC on generated histories.

benchmarks/negative_histories.py writes synthetic personal and project histories (fillers between the
facts, many phrasings per pattern) with retractions, dependency chains, conditional plans, multi-step
updates and questions about the wrong person. Its `test` split uses phrasings the implementation never
saw; `dev` is what it was developed on. Each split is imported through Capture into `somnia up`
(embedded stores, real NATS, the real embedder) and every probe asked through Recall:

- retraction: a fact the user took back, asked for (k = 5): is it returned unflagged (status
  "asserted")? is the retraction itself in the top 5?
- dependency: a fact whose footing changed (1 to 3 hops up a chain): returned unflagged? is the change
  upstream in the top 5?
- replacement: a plan whose condition came true: are the plan and its trigger both in the top 5?
- timeline: an attribute's values over time, asked with timeline=True (k = 10): all there, in order?
- wrong_person / answerable: a question about someone who never had that attribute should raise
  answer_may_be_absent; a question they can answer should not.

The baseline is the same system with retraction detection and dependency tracking switched off
(SOMNIA_GRAPH_SERVICE_DETECT_RETRACTIONS / _TRACK_DEPENDENCIES), run in the same command on the test
split. Writes benchmarks/results/negative_knowledge.json and .png. Usage:
    uv run python benchmarks/negative_knowledge_bench.py [--histories 60] [--no-baseline]
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
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key

sys.path.insert(0, str(Path(__file__).parent))
import negative_histories as generator
import skeleton_bench as skeleton

console = Console()
RESULTS = Path(__file__).parent / "results"
ROLES = {"user": capture_pb2.ROLE_USER, "assistant": capture_pb2.ROLE_ASSISTANT}
OFF = {"SOMNIA_GRAPH_SERVICE_DETECT_RETRACTIONS": "false", "SOMNIA_GRAPH_SERVICE_TRACK_DEPENDENCIES": "false"}
# (figure, what it counts, the goal, higher is better)
FIGURES: list[tuple[str, str, float, bool]] = [
    ("retracted_unflagged", "retracted facts returned unflagged in the top 5", 0.05, False),
    ("retraction_in_top5", "the retraction in the top 5", 0.95, True),
    ("dependent_unflagged", "dependents of a changed fact returned unflagged", 0.05, False),
    ("change_in_top5", "the upstream change in the top 5", 0.95, True),
    ("replacement_and_trigger", "a met plan and its trigger both in the top 5", 0.90, True),
    ("timeline_in_order", "an attribute's full timeline in order", 0.90, True),
    ("wrong_person_warned", "wrong-person questions warned", 0.70, True),
    ("answerable_warned", "answerable questions warned", 0.15, False),
]


def namespace_of(history: generator.History) -> str:
    return f"bench/negative/{history.name}"


async def import_history(stub: Any, history: generator.History) -> int:
    for session in history.sessions:
        turns = []
        for n, t in enumerate(session.turns):
            turn = capture_pb2.Turn(turn_id=f"t{n}", role=ROLES[t.role], content=t.text, speaker=t.speaker)
            turn.occurred_at.FromDatetime(t.occurred_at)
            turns.append(turn)
        await stub.Capture(
            capture_pb2.CaptureRequest(namespace=namespace_of(history), session_id=session.session_id, turns=turns)
        )
    return sum(len(s.turns) for s in history.sessions)


async def wait_linked(home: Path, expected: dict[str, int]) -> None:
    """Until every turn is a memory in the store and the graph, and then until the graph stops changing
    for a few seconds (what a new memory says about older ones is written right after it is linked)."""
    import sqlite3

    from somnia_graph_store.embedded.store import EmbeddedGraphStore
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    store = EmbeddedMemoryStore(home / "store" / "memories.sqlite3")
    graph = EmbeddedGraphStore(home / "store" / "graph.sqlite3")
    try:
        for namespace, count in expected.items():
            while await store.count(namespace) < count or await graph.count(namespace, "Memory") < count:
                await asyncio.sleep(0.2)
    finally:
        await store.aclose()
        await graph.aclose()
    last, quiet = None, 0
    while quiet < 8:  # 4 s without a write
        with sqlite3.connect(home / "store" / "graph.sqlite3") as db:
            now = (
                db.execute("SELECT count(*), total(length(props)) FROM node").fetchone()
                + db.execute("SELECT count(*) FROM edge").fetchone()
            )
        quiet = quiet + 1 if now == last else 0
        last = now
        await asyncio.sleep(0.5)


def holds(item: Any, needle: str) -> bool:
    return needle.lower() in item.text.lower()


async def ask(stub: Any, history: generator.History, probe: generator.Probe) -> dict[str, float]:
    """The probe's figures (1/0 each; a figure the probe does not measure is left out)."""
    timeline = probe.kind == "timeline"
    response = await stub.Recall(
        recall_pb2.RecallRequest(
            namespace=namespace_of(history), query=probe.question, k=10 if timeline else 5, timeline=timeline
        )
    )
    items = list(response.items)
    found = lambda needle: any(holds(i, needle) for i in items)  # noqa: E731
    unflagged = any(holds(i, s) and i.status == "asserted" for i in items for s in probe.stale)
    if probe.kind == "retraction":
        return {"retracted_unflagged": float(unflagged), "retraction_in_top5": float(all(map(found, probe.change)))}
    if probe.kind == "dependency":
        return {"dependent_unflagged": float(unflagged), "change_in_top5": float(all(map(found, probe.change)))}
    if probe.kind == "replacement":
        return {"replacement_and_trigger": float(all(map(found, (*probe.expected, *probe.change))))}
    if timeline:
        order = [next((n for n, i in enumerate(items) if holds(i, value)), -1) for value in probe.expected]
        return {"timeline_in_order": float(-1 not in order and order == sorted(order))}
    if probe.kind == "wrong_person":
        return {"wrong_person_warned": float(response.answer_may_be_absent)}
    return {"answerable_warned": float(response.answer_may_be_absent)}


async def evaluate(histories: list[generator.History], settings: Any) -> dict[str, Any]:
    token = read_local_key(settings.auth_dir)
    started = time.perf_counter()
    async with open_aio_channel(settings.capture_address, token=token) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        expected = {namespace_of(h): await import_history(stub, h) for h in histories}
    await wait_linked(Path(settings.home), expected)
    console.print(
        f"{sum(expected.values())} turns of {len(histories)} histories linked in {time.perf_counter() - started:.0f} s"
    )
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    by_hops: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    probes = [(h, p) for h in histories for p in h.probes]
    async with open_aio_channel(settings.recall_address, token=token) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        with Progress(console=console) as progress:
            task = progress.add_task(f"asking {len(probes)} probes", total=len(probes))
            for history, probe in probes:
                for figure, value in (await ask(stub, history, probe)).items():
                    sums[figure][0] += value
                    sums[figure][1] += 1
                    if figure == "dependent_unflagged":
                        by_hops[probe.hops][0] += value
                        by_hops[probe.hops][1] += 1
                progress.advance(task)
    return {
        "histories": len(histories),
        "turns": sum(expected.values()),
        "figures": {f: {"share": s / n, "probes": int(n)} for f, (s, n) in sums.items()},
        "dependent_unflagged_by_hops": {
            str(h): {"share": s / n, "probes": int(n)} for h, (s, n) in sorted(by_hops.items())
        },
    }


def run_split(split: str, count: int, seed: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    histories = generator.generate(count, split=split, seed=seed)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", env)
        try:
            return asyncio.run(evaluate(histories, settings))
        finally:
            supervisor.stop()
            for name in env or {}:
                os.environ.pop(name, None)


def report(results: dict[str, Any]) -> None:
    runs = results["runs"]
    table = Table(title=f"negative knowledge through gRPC ({results['histories_per_split']} histories a split)")
    table.add_column("figure")
    table.add_column("goal", justify="right")
    for name in runs:
        table.add_column(name, justify="right")
    for figure, label, goal, higher in FIGURES:
        cells = []
        for run in runs.values():
            cell = run["figures"].get(figure)
            cells.append(f"{cell['share']:.0%} ({cell['probes']})" if cell else "-")
        table.add_row(label, f"{'≥' if higher else '≤'} {goal:.0%}", *cells)
    console.print(table)


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(runs)
    for n, (name, run) in enumerate(runs.items()):
        shares = [run["figures"].get(f, {}).get("share", 0.0) for f, *_ in FIGURES]
        ax.bar([x + n * width for x in range(len(FIGURES))], shares, width, label=name)
    for x, (_, _, goal, higher) in enumerate(FIGURES):
        ax.plot([x - 0.1, x + 0.8], [goal, goal], color="black", linestyle="--" if higher else ":", linewidth=1)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(FIGURES))])
    ax.set_xticklabels([label.replace(" ", "\n", 2) for _, label, _, _ in FIGURES], fontsize=7)
    ax.set_ylabel("share of probes")
    ax.set_ylim(0, 1.05)
    ax.set_title("Negative knowledge from conversation (dashed: goal, at least; dotted: goal, at most)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "negative_knowledge.png", dpi=120)


def _stored_baseline(name: str, histories: int, seed: int) -> tuple[dict[str, object], str] | None:
    """The baseline run of the last results file, when it was made with the same histories and seed."""
    path = RESULTS / "negative_knowledge.json"
    if not path.is_file():
        return None
    stored = json.loads(path.read_text())
    if stored.get("histories_per_split") != histories or stored.get("seed", seed) != seed or name not in stored["runs"]:
        return None
    return stored["runs"][name], stored.get("baseline_when", stored["when"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", type=int, default=60, help="histories per split")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true", help="skip the run with detection off")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    runs = {
        "test (held out)": run_split("test", args.histories, args.seed),
        "dev": run_split("dev", args.histories, args.seed),
    }
    baseline = "test, detection off (baseline)"
    if not args.no_baseline:
        runs[baseline] = run_split("test", args.histories, args.seed, OFF)
    results = {
        "when": datetime.now(UTC).isoformat(),
        "histories_per_split": args.histories,
        "seed": args.seed,
        "runs": runs,
    }
    stored = _stored_baseline(baseline, args.histories, args.seed)
    if args.no_baseline and stored is not None:
        # Detection off does not change with the detectors: keep the last baseline, with its date.
        runs[baseline], results["baseline_when"] = stored
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "negative_knowledge.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    plot(results)
    console.print(f"results: {RESULTS / 'negative_knowledge.json'}, {RESULTS / 'negative_knowledge.png'}")


if __name__ == "__main__":
    main()
