"""Recall quality as memory grows, with and without forgetting.

Each LoCoMo development conversation gets its own namespace, mixed with 0x, 10x and 100x as many
synthetic distractor sessions as it has sessions (two people catching up, the same two speakers, spread
over the same months; benchmarks/synthetic.py). Everything is built in process through the services'
own code: the embedding model, the graph linker with entity extraction, and the memory and graph
stores (embedded). Memories are recorded when they happen (recorded_at = occurred_at), as when an
agent captures live.

Use: an agent that works with Somnia recalls at the start of every session. The benchmark replays
that in time order: for each session, Recall with its first turn (as of that moment) and a use on the
top 3, exactly what the recall service records. LoCoMo and distractor sessions alike.

Then, asked on the day after the last session, every question with evidence is put to Recall (k=10):
- without forgetting;
- with forgetting: one sweep with the default settings (faded: strength below 0.3, older than 14 days,
  and redundant or below 0.2; consolidated into session digests, then archived), Recall on the hot
  index (its default);
- with forgetting, archive included: the same store, Recall with include_archived (the two tiers
  merged as the recall service merges them);
- with forgetting and a hot budget of 5,000 memories per namespace (an operator's setting, the same for
  every conversation), Recall on the hot index.
A digest counts for the evidence it quotes. Reported: fractional evidence recall@10 per category, and
the hot index size. Builds are cached under ~/.cache/somnia/bench/growth-*, so a rerun only asks.

Writes benchmarks/results/growth.json and benchmarks/results/growth.png. Usage:
    uv run python benchmarks/growth_bench.py [--scales 0,10,100] [--data ../shared/bench/locomo/locomo_dev.json]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton
import synthetic

console = Console()
RESULTS = Path(__file__).parent / "results"
CACHE = Path(os.environ.get("SOMNIA_CACHE", Path.home() / ".cache" / "somnia")) / "bench"
VERSION = "v1"
K = 10
USES_PER_SESSION = 3
CATEGORIES = ("multi-hop", "temporal", "open-domain", "single-hop")
HOT_BUDGET = 5000
SYSTEMS = (
    "without forgetting",
    "with forgetting",
    "with forgetting, archive included",
    f"with forgetting, hot budget {HOT_BUDGET:,}",
)

Session = tuple[str, datetime, list[tuple[str, str]]]  # (session id, start, [(turn id, text)])


def sessions_of(conv: dict[str, Any], scale: int, seed: int = 5) -> list[Session]:
    """The conversation's sessions and `scale` times as many distractor sessions, in time order."""
    conversation = conv["conversation"]
    by_session: dict[str, list[tuple[str, str]]] = defaultdict(list)
    starts: dict[str, datetime] = {}
    for session, turn_id, when, text in locomo.turns_of(conversation):
        by_session[session].append((turn_id, text))
        starts[session] = when
    real: list[Session] = [(s, starts[s], turns) for s, turns in by_session.items()]
    first, last = min(starts.values()), max(starts.values())
    lengths = [len(t) for _, _, t in real]
    speakers = (conversation["speaker_a"], conversation["speaker_b"])
    rng = random.Random(f"{seed}/{conv['sample_id']}")
    fake: list[Session] = []
    # The 100x pool's first sessions are the 10x set: a larger scale only adds sessions.
    for n in range(scale * len(real)):
        start = first + (last - first) * rng.random()
        turns = synthetic.dialogue(speakers, rng.choice(lengths), rng)
        sid = f"x-{n:05d}"
        fake.append((sid, start, [(f"{sid}-{i}", text) for i, text in enumerate(turns)]))
    return sorted(real + fake, key=lambda s: (s[1], s[0]))


async def build(namespace: str, sessions: Sequence[Session], home: Path, progress: Progress) -> None:
    """Stores under `home`: every turn embedded, linked (entities, time) and used as an agent would."""
    from somnia_contracts import MemoryIndexed, SessionStarted, TurnCaptured, memory_id_for
    from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
    from somnia_extraction import OfflineExtractor
    from somnia_graph.service import GraphLinker
    from somnia_graph_store import MemoryUse
    from somnia_graph_store.embedded.store import EmbeddedGraphStore
    from somnia_memory_store import MemoryRecord
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore
    from somnia_reranker import RerankerSettings, create_reranker
    from somnia_retrieval import RankingSettings, Retriever

    store = EmbeddedMemoryStore(home / "memories.sqlite3")
    graph = EmbeddedGraphStore(home / "graph.sqlite3")
    await graph.ensure_schema()
    embedder = OnnxMiniLMEmbedder()
    reranker = create_reranker(RerankerSettings())  # Recall's default cross-encoder, as the API ranks
    linker = GraphLinker(graph, OfflineExtractor())
    turns = [
        (s, start + timedelta(seconds=i), tid, text) for s, start, ts in sessions for i, (tid, text) in enumerate(ts)
    ]
    task = progress.add_task(f"{namespace}: embed + link", total=len(turns))
    for at in range(0, len(turns), 256):
        batch = turns[at : at + 256]
        vectors = await embedder.embed([text for *_, text in batch])
        records, events = [], []
        for n, (session, when, turn_id, text) in enumerate(batch):
            memory_id = memory_id_for(namespace, session, turn_id, 0)
            records.append(
                MemoryRecord(
                    memory_id=memory_id,
                    namespace=namespace,
                    text=text,
                    session_id=session,
                    turn_id=turn_id,
                    role="user",
                    occurred_at=when,
                    recorded_at=when,
                    embedder=embedder.name,
                    vector=vectors[n],
                )
            )
            if turn_id.endswith(("-0", ":1")):
                events.append(SessionStarted(namespace=namespace, session_id=session, started_at=when))
            common = {"namespace": namespace, "session_id": session, "turn_id": turn_id, "occurred_at": when}
            events.append(TurnCaptured(**common, role="user", content=text, captured_at=when))
            events.append(
                MemoryIndexed(**common, memory_ids=(memory_id,), embedder=embedder.name, dimension=384, indexed_at=when)
            )
        await store.upsert(records)
        await linker.link(events, list(range(at * 3, at * 3 + len(events))))
        progress.advance(task, len(batch))
    # An agent recalls at the start of each session: the top 3 are used then.
    retriever = Retriever(
        embedder, store, RankingSettings(), graph=graph, extractor=OfflineExtractor(), reranker=reranker
    )
    task = progress.add_task(f"{namespace}: replay use", total=len(sessions))
    for session, start, ts in sessions:
        try:
            found = await retriever.recall(namespace, ts[0][1], k=USES_PER_SESSION, as_of=start, now=start)
        except Exception:  # the first session: nothing recorded yet
            found = []
        uses = [
            MemoryUse(namespace=namespace, memory_id=m.record.memory_id, use_id=f"warm-{session}", used_at=start)
            for m in found
        ]
        if uses:
            await graph.record_uses(uses)
        progress.advance(task)
    await store.aclose()
    await graph.aclose()


def cached_build(conv: dict[str, Any], scale: int, progress: Progress) -> tuple[Path, list[Session]]:
    sessions = sessions_of(conv, scale)
    home = CACHE / f"growth-{VERSION}-{conv['sample_id']}-x{scale}"
    if not (home / "done").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        asyncio.run(build(namespace_of(conv), sessions, home, progress))
        (home / "done").write_text(datetime.now(UTC).isoformat())
    return home, sessions


def namespace_of(conv: dict[str, Any]) -> str:
    return f"growth/{conv['sample_id'].lower()}/user"


async def ask(
    conv: dict[str, Any], home: Path, now: datetime, *, mode: str
) -> tuple[dict[str, dict[str, list[float]]], dict[str, int]]:
    """Per system: per category [fractional recall@K sum, questions]; and the store's sizes."""
    from somnia_contracts import archive_namespace
    from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
    from somnia_extraction import OfflineExtractor
    from somnia_forgetting.settings import ForgettingSettings
    from somnia_forgetting.sweep import Sweeper
    from somnia_graph_store.embedded.store import EmbeddedGraphStore
    from somnia_memory_model.insights import quote
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore
    from somnia_reranker import RerankerSettings, create_reranker
    from somnia_retrieval import RankingSettings, Retriever, UnknownNamespace
    from somnia_retrieval.tiers import merge_tiers

    namespace = namespace_of(conv)
    cold = archive_namespace(namespace)
    store = EmbeddedMemoryStore(home / "memories.sqlite3")
    graph = EmbeddedGraphStore(home / "graph.sqlite3")
    embedder = OnnxMiniLMEmbedder()
    reranker = create_reranker(RerankerSettings())  # Recall's default cross-encoder, as the API ranks
    sizes: dict[str, int] = {"hot before": await store.count(namespace)}
    forget = mode != "without"
    if forget:
        settings = ForgettingSettings(hot_budget=HOT_BUDGET) if mode == "budget" else ForgettingSettings()
        sweeper = Sweeper(store, graph, embedder, RankingSettings().law(), settings)
        started = time.perf_counter()
        report = await sweeper.sweep(namespace, now)
        sizes.update(
            archived=report.archived, digests=report.digests, sweep_ms=int(1000 * (time.perf_counter() - started))
        )
    sizes["hot"] = await store.count(namespace)
    retriever = Retriever(
        embedder, store, RankingSettings(), graph=graph, extractor=OfflineExtractor(), reranker=reranker
    )

    async def turns_of(found: Sequence[Any], partition: str) -> set[str]:
        turns: set[str] = set()
        for m in found:
            if m.derived_from:  # a digest or an insight: the evidence it quotes
                sources = await store.get(cold, list(m.derived_from)) + await store.get(partition, list(m.derived_from))
                turns.update(r.turn_id for r in sources if quote(r) in m.record.text)
            else:
                turns.add(m.record.turn_id)
        return turns

    systems = {"without": SYSTEMS[:1], "default": SYSTEMS[1:3], "budget": SYSTEMS[3:]}[mode]
    sums: dict[str, dict[str, list[float]]] = {s: defaultdict(lambda: [0.0, 0.0]) for s in systems}
    for qa in conv["qa"]:
        evidence = locomo.evidence_of(qa)
        category = locomo.CATEGORIES[int(qa["category"])]
        if not evidence or category not in CATEGORIES:
            continue
        hot = await retriever.recall(namespace, qa["question"], k=K, now=now)
        found = {systems[0]: await turns_of(hot, namespace)}
        if mode == "default":
            try:
                archived = await retriever.recall(namespace, qa["question"], k=K, now=now, partition=cold)
            except UnknownNamespace:
                archived = []
            merged = merge_tiers(await retriever.embed_query(qa["question"]), hot, archived, K)
            found[systems[1]] = await turns_of(merged, namespace)
        for system, turns in found.items():
            cell = sums[system][category]
            cell[0] += len(evidence & turns) / len(evidence)
            cell[1] += 1
    await store.aclose()
    await graph.aclose()
    return {s: dict(c) for s, c in sums.items()}, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--scales", default="0,10,100", help="distractor sessions per conversation session")
    parser.add_argument("--conversations", type=int, default=0, help="only the first N (0: all)")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found; pass --data PATH to locomo_dev.json")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # The cross-encoder reads every answer however long a busy machine makes it take: a quality figure.
    os.environ.update(skeleton.QUALITY_RERANK)
    conversations = json.loads(args.data.read_text())
    if args.conversations:
        conversations = conversations[: args.conversations]
    scales = [int(s) for s in args.scales.split(",")]
    totals: dict[int, dict[str, dict[str, list[float]]]] = {}
    sizes: dict[int, dict[str, int]] = {}
    started = time.perf_counter()
    with Progress(console=console) as progress:
        for scale in scales:
            totals[scale] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
            sizes[scale] = defaultdict(int)
            for conv in conversations:
                home, sessions = cached_build(conv, scale, progress)
                now = max(start for _, start, _ in sessions) + timedelta(days=1)
                for mode in ("without", "default", "budget"):
                    with tempfile.TemporaryDirectory() as tmp:  # a sweep changes the store: work on a copy
                        shutil.copytree(home, Path(tmp) / "s")
                        sums, counted = asyncio.run(ask(conv, Path(tmp) / "s", now, mode=mode))
                    for system, by_category in sums.items():
                        for category, (got, n) in by_category.items():
                            cell = totals[scale][system][category]
                            cell[0] += got
                            cell[1] += n
                    for key, value in counted.items():
                        sizes[scale][f"{key} ({mode})"] += value
                console.print(f"x{scale} {conv['sample_id']}: {len(sessions)} sessions done")
    results = report(totals, sizes, time.perf_counter() - started)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results)


def recall_of(cells: dict[str, list[float]]) -> tuple[dict[str, float], float]:
    per = {c: cells[c][0] / cells[c][1] for c in CATEGORIES if c in cells and cells[c][1]}
    got = sum(cells[c][0] for c in per)
    n = sum(cells[c][1] for c in per)
    return per, got / n if n else 0.0


def report(
    totals: dict[int, dict[str, dict[str, list[float]]]], sizes: dict[int, dict[str, int]], seconds: float
) -> dict[str, Any]:
    baseline = recall_of(totals[min(totals)]["without forgetting"])[1]
    table = Table(title=f"fractional evidence recall@{K} as memory grows (LoCoMo dev + distractor sessions)")
    table.add_column("distractors")
    table.add_column("system")
    for c in CATEGORIES:
        table.add_column(c, justify="right")
    table.add_column("overall", justify="right")
    table.add_column(f"vs x{min(totals)}", justify="right")
    table.add_column("hot memories", justify="right")
    out: dict[str, Any] = {"k": K, "baseline_scale": min(totals), "seconds": round(seconds), "scales": {}}
    for scale, systems in totals.items():
        out["scales"][str(scale)] = {"sizes": dict(sizes[scale]), "systems": {}}
        for system in SYSTEMS:
            if system not in systems:
                continue
            per, overall = recall_of(systems[system])
            mode = "without" if system == SYSTEMS[0] else "budget" if system == SYSTEMS[3] else "default"
            hot_key = f"hot ({mode})"
            table.add_row(
                f"x{scale}",
                system,
                *(f"{per.get(c, 0.0):.3f}" for c in CATEGORIES),
                f"{overall:.3f}",
                f"{overall / baseline:.2f}" if baseline else "-",
                str(sizes[scale].get(hot_key, "")),
            )
            out["scales"][str(scale)]["systems"][system] = {
                "per_category": {c: round(v, 4) for c, v in per.items()},
                "overall": round(overall, 4),
                "ratio_to_baseline": round(overall / baseline, 4) if baseline else None,
                "questions": int(sum(v[1] for v in systems[system].values())),
            }
    console.print(table)
    return out


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = sorted(int(s) for s in results["scales"])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for system, style in zip(SYSTEMS, ("o-", "s--", "^:", "d-."), strict=True):
        points = [
            (s, results["scales"][str(s)]["systems"][system]["overall"])
            for s in scales
            if system in results["scales"][str(s)]["systems"]
        ]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], style, label=system)
    base = results["scales"][str(results["baseline_scale"])]["systems"][SYSTEMS[0]]["overall"]
    ax.axhline(
        0.95 * base, color="grey", linestyle=":", linewidth=1, label=f"target: 95% of x{results['baseline_scale']}"
    )
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(scales, [f"x{s}" for s in scales])
    ax.set_xlabel("distractor sessions per conversation session")
    ax.set_ylabel(f"fractional evidence recall@{K}")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Recall as memory grows (LoCoMo dev, categories 1-4)")
    fig.tight_layout()
    fig.savefig(RESULTS / "growth.png", dpi=120)


if __name__ == "__main__":
    main()
