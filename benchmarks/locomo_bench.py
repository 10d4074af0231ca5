"""Recall quality on the LoCoMo development conversations, through the real pipeline.

Each conversation is imported through gRPC Capture into its own namespace (turn id = LoCoMo dia_id,
session date as the turn time, the speaker's name in the text), then every question is asked through
Recall. Evidence recall@k is reported per category, both all-evidence (every evidence turn in the
top k) and fractional (the share of evidence turns in the top k).

Systems, all over the same stored data in the same run:
- through the Recall API: Somnia as configured (hybrid -> graph expansion -> bridging -> rerank with
  the cross-encoder and MMR), and the same with graph expansion off;
- in process, on the same store and graph files: ablations with one part of the pipeline off (the
  cross-encoder, bridging, MMR, entities, spreading, the second hop in time) or changed (the
  cross-encoder reading 20, SIMILAR_TO on), plain hybrid search (no graph, no rerank), and the
  BM25-only and dense-only baselines straight from the memory store.

The data is read from ../shared/bench/locomo/ (evaluation only; never copied into the repository).
Writes benchmarks/results/locomo.json and benchmarks/results/locomo.png, and appends the run to
benchmarks/results/quality_history.jsonl (plotted in quality_history.png). Usage:
    uv run python benchmarks/locomo_bench.py [--data ../shared/bench/locomo/locomo_dev.json]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
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
import quality_history
import skeleton_bench as skeleton

console = Console()
RESULTS = Path(__file__).parent / "results"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
MAIN = "somnia (Recall API)"
# The four systems the plot shows; the table and results file hold every one.
PLOTTED = (MAIN, "hybrid only", "bm25 only", "dense only")
# In-process ablations: RankingSettings overrides with one part off.
ABLATIONS: dict[str, dict[str, float | bool]] = {
    "no cross-encoder": {"rerank_top": 0},
    "no bridging (multi-hop)": {"bridge_seeds": 0},
    "no cross-encoder, no bridging": {"rerank_top": 0, "bridge_seeds": 0},
    "cross-encoder reads 20": {"rerank_top": 20},
    "no MMR": {"mmr_lambda": 1.0},
    "no entities": {"entity_weight": 0.0, "entity_boost": 0.0},
    "with SIMILAR_TO (0.5)": {"similar_decay": 0.5},
    "no spreading (best path)": {"spread": False},
    "1 hop in time": {"neighbour_hops": 1},
}
KS = (1, 5, 10)
Ask = Callable[[str, str, int], Awaitable[list[str]]]
DIA_ID = re.compile(r"D\d+:\d+")


def parse_session_time(text: str) -> datetime:
    """LoCoMo writes '1:56 pm on 8 May, 2023'."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def turns_of(conversation: dict[str, Any]) -> list[tuple[str, str, datetime, str]]:
    """(session id, turn id, time, text) for every turn, in order."""
    out = []
    n = 1
    while f"session_{n}" in conversation:
        when = parse_session_time(conversation[f"session_{n}_date_time"])
        for turn in conversation[f"session_{n}"]:
            text = f"{turn['speaker']}: {turn['text']}"
            if turn.get("blip_caption"):
                text += f" [shares {turn['blip_caption']}]"
            out.append((f"session_{n}", turn["dia_id"], when, text))
        n += 1
    return out


def evidence_of(qa: dict[str, Any]) -> set[str]:
    """Evidence dia_ids, parsed leniently ('D8:6; D9:17' is two)."""
    return {m for item in qa.get("evidence", []) for m in DIA_ID.findall(str(item))}


async def import_conversation(address: str, namespace: str, conversation: dict[str, Any], token: str = "") -> int:
    by_session: dict[str, list[capture_pb2.Turn]] = defaultdict(list)
    for session, turn_id, when, text in turns_of(conversation):
        turn = capture_pb2.Turn(turn_id=turn_id, role=capture_pb2.ROLE_USER, content=text)
        turn.occurred_at.FromDatetime(when)
        by_session[session].append(turn)
    async with open_aio_channel(address, token=token) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        for session, turns in by_session.items():
            await stub.Capture(capture_pb2.CaptureRequest(namespace=namespace, session_id=session, turns=turns))
    return sum(len(t) for t in by_session.values())


class Systems:
    """Every system under test, each an `ask(namespace, question, k) -> turn ids`."""

    def __init__(self, home: Path, recall_address: str) -> None:
        from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
        from somnia_extraction import OfflineExtractor
        from somnia_graph_store.embedded.store import EmbeddedGraphStore
        from somnia_memory_store.embedded.store import EmbeddedMemoryStore
        from somnia_reranker import RerankerSettings, create_reranker
        from somnia_retrieval import RankingSettings, Retriever

        self.store = EmbeddedMemoryStore(home / "store" / "memories.sqlite3")
        self.graph = EmbeddedGraphStore(home / "store" / "graph.sqlite3")
        self.embedder = OnnxMiniLMEmbedder()
        self.channel = open_aio_channel(recall_address, token=read_local_key(home / "auth"))
        self.absent: dict[str, bool] = {}
        self.stub = recall_pb2_grpc.RecallServiceStub(self.channel)
        extractor = OfflineExtractor()
        reranker = create_reranker(RerankerSettings())
        self.asks: dict[str, Ask] = {
            MAIN: self._api(expand=True),
            "API, graph expansion off": self._api(expand=False),
        }
        for name, overrides in ABLATIONS.items():
            retriever = Retriever(
                self.embedder,
                self.store,
                RankingSettings(**overrides),
                graph=self.graph,
                extractor=extractor,
                reranker=reranker,
            )
            self.asks[name] = self._retriever(retriever)
        self.asks["hybrid only"] = self._hybrid
        self.asks["bm25 only"] = self._bm25
        self.asks["dense only"] = self._dense

    def _api(self, *, expand: bool) -> Ask:
        async def ask(namespace: str, question: str, k: int) -> list[str]:
            request = recall_pb2.RecallRequest(namespace=namespace, query=question, k=k, expand_graph=expand)
            response = await self.stub.Recall(request)
            if expand:  # the main system: keep its warning that the answer may not be in memory
                self.absent[question] = response.answer_may_be_absent
            return [item.provenance.turn_id for item in response.items]

        return ask

    @staticmethod
    def _retriever(retriever: Any) -> Ask:
        async def ask(namespace: str, question: str, k: int) -> list[str]:
            return [m.record.turn_id for m in await retriever.recall(namespace, question, k=k)]

        return ask

    async def _hybrid(self, namespace: str, question: str, k: int) -> list[str]:
        (vector,) = await self.embedder.embed([question])
        return [h.record.turn_id for h in await self.store.hybrid_search(namespace, question, vector, k)]

    async def _bm25(self, namespace: str, question: str, k: int) -> list[str]:
        return [h.record.turn_id for h in await self.store.keyword_search(namespace, question, k)]

    async def _dense(self, namespace: str, question: str, k: int) -> list[str]:
        (vector,) = await self.embedder.embed([question])
        return [h.record.turn_id for h in await self.store.vector_search(namespace, vector, k)]

    async def aclose(self) -> None:
        await self.channel.close()
        await self.store.aclose()
        await self.graph.aclose()


def score(ranked: list[str], evidence: set[str], k: int) -> tuple[float, float]:
    top = set(ranked[:k])
    return float(evidence <= top), len(evidence & top) / len(evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument(
        "--home",
        type=Path,
        help="keep Somnia's home here (a temporary one by default); a conversation already in it is not imported again",
    )
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found; pass --data PATH to locomo_dev.json")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    conversations = json.loads(args.data.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = skeleton.start_somnia(args.home or Path(tmp) / "home")
        try:
            sums, flags = asyncio.run(evaluate(conversations, settings))
        finally:
            supervisor.stop()
    report(sums, flags)


Flags = dict[str, list[int]]


async def evaluate(
    conversations: list[dict[str, Any]], settings: Any
) -> tuple[dict[str, dict[str, dict[int, list[float]]]], Flags]:
    # sums[system][category][k] = [all-evidence hits, fractional sum, questions]
    sums: dict[str, dict[str, dict[int, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: {k: [0.0, 0.0, 0.0] for k in KS})
    )
    # flags[category] = [questions Recall warned may be unanswerable from memory, questions]
    flags: Flags = defaultdict(lambda: [0, 0])
    systems = Systems(Path(settings.home), settings.recall_address)
    try:
        for conv in conversations:
            namespace = f"locomo/{conv['sample_id']}/eval"
            started = time.perf_counter()
            n = len(turns_of(conv["conversation"]))
            if await systems.store.count(namespace) < n:
                await import_conversation(
                    settings.capture_address, namespace, conv["conversation"], read_local_key(settings.auth_dir)
                )
            await wait_linked(systems, namespace, n)
            console.print(
                f"{conv['sample_id']}: {n} turns imported, indexed and linked in {time.perf_counter() - started:.1f}s"
            )
            questions = [qa for qa in conv["qa"] if evidence_of(qa)]
            with Progress(console=console) as progress:
                task = progress.add_task(
                    f"asking {len(questions)} questions x {len(systems.asks)} systems",
                    total=len(questions) * len(systems.asks),
                )
                for qa in questions:
                    category = CATEGORIES[int(qa["category"])]
                    for system, ask in systems.asks.items():
                        ranked = await ask(namespace, qa["question"], max(KS))
                        for k in KS:
                            all_hit, fraction = score(ranked, evidence_of(qa), k)
                            cell = sums[system][category][k]
                            cell[0] += all_hit
                            cell[1] += fraction
                            cell[2] += 1
                        progress.advance(task)
                    flags[category][0] += systems.absent.get(qa["question"], False)
                    flags[category][1] += 1
    finally:
        await systems.aclose()
    return sums, flags


async def wait_linked(systems: Systems, namespace: str, expected: int) -> None:
    """Until every turn is in the vector store and its memory in the graph (SIMILAR_TO is written with it)."""
    await wait_stored(systems.store, systems.graph, namespace, expected)


async def wait_stored(store: Any, graph: Any, namespace: str, expected: int, timeout_s: float | None = None) -> None:
    """wait_linked on a store and a graph opened by the caller; past `timeout_s` it raises."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while await store.count(namespace) < expected or await graph.count(namespace, "Memory") < expected:
        if deadline is not None and time.monotonic() > deadline:
            raise RuntimeError(f"{expected} turns of {namespace} were not indexed and linked within {timeout_s:.0f} s")
        await asyncio.sleep(0.2)


def report(sums: dict[str, dict[str, dict[int, list[float]]]], flags: Flags) -> None:
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "systems": {},
        "answer_may_be_absent": {c: {"flagged": f, "questions": n, "share": f / n} for c, (f, n) in flags.items()},
    }
    for system, by_category in sums.items():
        rows: dict[str, Any] = {}
        totals = {k: [0.0, 0.0, 0.0] for k in KS}
        for category, by_k in sorted(by_category.items()):
            rows[category] = {}
            for k, (all_hits, fractional, n) in by_k.items():
                rows[category][f"all@{k}"] = all_hits / n
                rows[category][f"frac@{k}"] = fractional / n
                rows[category]["questions"] = int(n)
                if category != "adversarial":
                    totals[k] = [totals[k][0] + all_hits, totals[k][1] + fractional, totals[k][2] + n]
        rows["all but adversarial"] = {
            **{f"all@{k}": t[0] / t[2] for k, t in totals.items()},
            **{f"frac@{k}": t[1] / t[2] for k, t in totals.items()},
            "questions": int(totals[KS[0]][2]),
        }
        results["systems"][system] = rows
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "locomo.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title="LoCoMo dev (3 conversations): evidence recall, fractional @5 / @10 (all-evidence @10)")
    table.add_column("category")
    for system in sums:
        table.add_column(system)
    categories = [*sorted({c for s in sums.values() for c in s}), "all but adversarial"]
    for category in categories:
        cells = []
        for system in sums:
            row = results["systems"][system].get(category)
            cells.append("-" if row is None else f"{row['frac@5']:.2f} / {row['frac@10']:.2f} ({row['all@10']:.2f})")
        n = results["systems"][MAIN].get(category, {}).get("questions", 0)
        table.add_row(f"{category} ({n})", *cells)
    console.print(table)
    warned = Table(title="Recall's warning that the answer may not be in memory (answer_may_be_absent)")
    warned.add_column("category")
    warned.add_column("questions warned", justify="right")
    for category, (flagged, n) in sorted(flags.items()):
        warned.add_row(category, f"{flagged} of {n} ({flagged / n:.0%})")
    console.print(warned)
    plot(results)
    quality_history.record(results, PLOTTED)
    console.print(
        f"results: {RESULTS / 'locomo.json'}, {RESULTS / 'locomo.png'}; history: {quality_history.HISTORY}, "
        f"{quality_history.PLOT}"
    )


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(PLOTTED)
    categories = [c for c in results["systems"][systems[0]] if c != "all but adversarial"] + ["all but adversarial"]
    fig, axes = plt.subplots(1, len(KS), figsize=(5 * len(KS), 4.5), sharey=True)
    width = 0.8 / len(systems)
    for ax, k in zip(axes, KS, strict=True):
        for i, system in enumerate(systems):
            values = [results["systems"][system][c][f"frac@{k}"] for c in categories]
            ax.bar([x + i * width for x in range(len(categories))], values, width, label=system)
        ax.set_title(f"fractional evidence recall@{k}")
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(categories))])
        ax.set_xticklabels(categories, rotation=30, ha="right")
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(loc="upper left")
    fig.suptitle("LoCoMo dev conversations: recall by category, per system")
    fig.tight_layout()
    fig.savefig(RESULTS / "locomo.png", dpi=110)


if __name__ == "__main__":
    main()
