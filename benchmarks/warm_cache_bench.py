"""Warm-cache quality on the LoCoMo development conversations, through the real pipeline.

Each conversation's sessions are replayed in order through `somnia up`. Before session n's turns are
captured, the session is started (StartSession with its first turn as the opening), cache-warming
builds its pack from sessions 1..n-1, and the pack is read back with WarmCache. Then session n's turns
are captured and indexed, and the next session starts.

What session n needs: the evidence turns, in earlier sessions, of every question that also has
evidence in session n (what that session's conversation reaches back to). Hit rate = the share of
those turns that were already in the pack. Two references of the same token size, computed from the
same turns: the tail of the conversation (a "last N tokens" context), and the share of the history the
pack holds (what a pack drawn at random would hit on average).

Unless `--no-dream`, every conversation is replayed twice in the same command: as above, and with a
dream run after each session (a "nightly" dream over everything so far), so the next pack can draw on
insights; an insight in a pack counts as the turns it quotes.

Budgets are scaled down (default: 1/32 of L1 8k / L2 24k / L3 64k / L4 32k = 4,000 tokens), since the
default 128k would hold a whole LoCoMo conversation. Writes benchmarks/results/warm_cache.json and
warm_cache.png. Usage:
    uv run python benchmarks/warm_cache_bench.py [--scale 32] [--data ../shared/bench/locomo/locomo_dev.json]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import statistics
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
from somnia_tokens import TokenizerSettings, create_token_counter

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton

console = Console()
RESULTS = Path(__file__).parent / "results"
AGENT = "locomo"
DEFAULT_BUDGETS = {"L1": 8_000, "L2": 24_000, "L3": 64_000, "L4": 32_000}


def sessions_of(conversation: dict[str, Any]) -> list[tuple[str, list[tuple[str, datetime, str]]]]:
    """[(session id, [(turn id, time, text)])] in order."""
    grouped: dict[str, list[tuple[str, datetime, str]]] = defaultdict(list)
    for session, turn_id, when, text in locomo.turns_of(conversation):
        grouped[session].append((turn_id, when, text))
    return list(grouped.items())


def needs(qas: list[dict[str, Any]], session_turns: dict[str, str]) -> dict[str, set[str]]:
    """For each session: evidence turns in earlier sessions of questions that have evidence in it."""
    order = {s: n for n, s in enumerate(dict.fromkeys(session_turns.values()))}
    needed: dict[str, set[str]] = defaultdict(set)
    for qa in qas:
        evidence = {e for e in locomo.evidence_of(qa) if e in session_turns}
        for session in {session_turns[e] for e in evidence}:
            needed[session] |= {e for e in evidence if order[session_turns[e]] < order[session]}
    return needed


class NightlyDream:
    """A dream run over a namespace's whole history, in this process, on the stores `somnia up` uses."""

    def __init__(self, home: Path) -> None:
        from somnia_dreaming.jobs.consolidate import Consolidator
        from somnia_dreaming.summarize import ExtractiveSummarizer
        from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
        from somnia_graph_store.embedded.store import EmbeddedGraphStore
        from somnia_memory_store.embedded.store import EmbeddedMemoryStore

        self.store = EmbeddedMemoryStore(home / "store" / "memories.sqlite3")
        self.graph = EmbeddedGraphStore(home / "store" / "graph.sqlite3")
        self.consolidator = Consolidator(self.store, self.graph, OnnxMiniLMEmbedder(), ExtractiveSummarizer())
        self.seconds: list[float] = []

    async def __call__(self, namespace: str, run_id: str) -> None:
        from somnia_dreaming.checkpoints import InProcessCheckpoints
        from somnia_dreaming.models import DreamWindow
        from somnia_dreaming.runner import DreamRunner
        from somnia_dreaming.settings import DreamSettings

        runner = DreamRunner(
            self.graph, self.store, self.consolidator, InProcessCheckpoints(), DreamSettings.from_env()
        )
        window = DreamWindow(namespace=namespace, since=datetime(1970, 1, 1, tzinfo=UTC), until=datetime.now(UTC))
        started = time.perf_counter()
        await runner.run(window, run_id)
        self.seconds.append(time.perf_counter() - started)


async def replay(
    conv: dict[str, Any],
    settings: Any,
    tokens: Any,
    progress: Progress,
    task: Any,
    dream: NightlyDream | None = None,
) -> list[dict[str, Any]]:
    from somnia_contracts import memory_id_for

    namespace = f"locomo/{conv['sample_id']}/warm" + ("-dream" if dream else "")
    sessions = sessions_of(conv["conversation"])
    session_of = {turn_id: session for session, turns in sessions for turn_id, _, _ in turns}
    needed = needs(conv["qa"], session_of)
    turn_of_memory = {memory_id_for(namespace, s, t, 0): t for t, s in session_of.items()}
    history: list[tuple[str, str]] = []  # (turn id, text) of sessions captured so far
    rows = []
    async with (
        open_aio_channel(settings.capture_address, token=read_local_key(settings.auth_dir)) as capture_channel,
        open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as recall_channel,
    ):
        capture = capture_pb2_grpc.CaptureServiceStub(capture_channel)
        recall = recall_pb2_grpc.RecallServiceStub(recall_channel)
        for n, (session, turns) in enumerate(sessions):
            started = capture_pb2.StartSessionRequest(
                namespace=namespace, session_id=session, agent=AGENT, opening=turns[0][2]
            )
            started.started_at.FromDatetime(turns[0][1])
            await capture.StartSession(started)
            if n and needed.get(session):
                pack = await stored_pack(recall, namespace, session)
                items = [item for layer in pack.layers for item in layer.items]
                in_pack = {item.provenance.turn_id for item in items}
                # An insight shows the turns it quotes.
                in_pack |= {turn_of_memory.get(m, "") for item in items for m in item.provenance.derived_from}
                tail = tail_of(history, pack.token_count, tokens)
                want = needed[session]
                history_tokens = sum(tokens.count(text) for _, text in history)
                rows.append(
                    {
                        "conversation": conv["sample_id"],
                        "session": session,
                        "needed": len(want),
                        "pack_hits": len(want & in_pack),
                        "tail_hits": len(want & tail),
                        "pack_tokens": pack.token_count,
                        "history_tokens": history_tokens,
                        "build_ms": pack.build_ms,
                        "from_cache": pack.from_cache,
                        "insights": sum(1 for item in items if item.provenance.derived_from),
                    }
                )
            request = capture_pb2.CaptureRequest(namespace=namespace, session_id=session)
            for turn_id, when, text in turns:
                turn = request.turns.add(turn_id=turn_id, role=capture_pb2.ROLE_USER, content=text)
                turn.occurred_at.FromDatetime(when)
            await capture.Capture(request)
            await capture.EndSession(capture_pb2.EndSessionRequest(namespace=namespace, session_id=session))
            history.extend((turn_id, text) for turn_id, _, text in turns)
            await wait_linked(settings, namespace, len(history))
            if dream is not None:
                await dream(namespace, f"after-{session}")
            progress.advance(task)
    return rows


async def stored_pack(
    recall: recall_pb2_grpc.RecallServiceStub, namespace: str, session: str, timeout_s: float = 15.0
) -> recall_pb2.WarmCacheResponse:
    """The pack cache-warming stored at session start (built on demand if it never comes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        pack = await recall.WarmCache(recall_pb2.WarmCacheRequest(namespace=namespace, session_id=session))
        if pack.from_cache or time.monotonic() > deadline:
            return pack
        await asyncio.sleep(0.1)


def tail_of(history: list[tuple[str, str]], budget: int, tokens: Any) -> set[str]:
    """The most recent turns that fit in `budget` tokens: a plain "last N tokens" context."""
    kept: set[str] = set()
    used = 0
    for turn_id, text in reversed(history):
        cost = tokens.count(text)
        if used + cost > budget:
            break
        kept.add(turn_id)
        used += cost
    return kept


async def wait_linked(settings: Any, namespace: str, expected: int) -> None:
    from somnia_graph_store.embedded.store import EmbeddedGraphStore
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    store = EmbeddedMemoryStore(Path(settings.home) / "store" / "memories.sqlite3")
    graph = EmbeddedGraphStore(Path(settings.home) / "store" / "graph.sqlite3")
    try:
        while await store.count(namespace) < expected or await graph.count(namespace, "Memory") < expected:
            await asyncio.sleep(0.1)
    finally:
        await store.aclose()
        await graph.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--scale", type=int, default=32, help="divide the default layer budgets by this")
    parser.add_argument("--no-dream", action="store_true", help="skip the replay with nightly dreams")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found; pass --data PATH to locomo_dev.json")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    budgets = {layer: tokens // args.scale for layer, tokens in DEFAULT_BUDGETS.items()}
    conversations = json.loads(args.data.read_text())
    tokens = create_token_counter(TokenizerSettings())
    env = {f"SOMNIA_WARM_{layer}_TOKENS": str(value) for layer, value in budgets.items()}
    rows: list[dict[str, Any]] = []
    dreamt: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", env)
        try:
            with Progress(console=console) as progress:
                for conv in conversations:
                    count = len(sessions_of(conv["conversation"]))
                    task = progress.add_task(f"replaying {conv['sample_id']} ({count} sessions)", total=count)
                    rows += asyncio.run(replay(conv, settings, tokens, progress, task))
                if not args.no_dream:
                    dream = NightlyDream(Path(settings.home))
                    for conv in conversations:
                        count = len(sessions_of(conv["conversation"]))
                        task = progress.add_task(f"with dreams: {conv['sample_id']}", total=count)
                        dreamt += asyncio.run(replay(conv, settings, tokens, progress, task, dream))
        finally:
            supervisor.stop()
    report(rows, budgets, dreamt)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    needed = sum(r["needed"] for r in rows)
    return {
        "sessions": len(rows),
        "needed_turns": needed,
        "pack_hit_rate": sum(r["pack_hits"] for r in rows) / needed,
        "tail_hit_rate": sum(r["tail_hits"] for r in rows) / needed,
        # A random pack of the same size holds this share of any needed turn (capped: a pack can hold
        # all of a short history), weighted like the hit rates by how many turns each session needs.
        "random_hit_rate": sum(r["needed"] * min(1.0, r["pack_tokens"] / r["history_tokens"]) for r in rows) / needed,
        "build_p50_ms": statistics.median(r["build_ms"] for r in rows),
        "build_p99_ms": sorted(r["build_ms"] for r in rows)[max(0, int(0.99 * len(rows)) - 1)],
        "stored_at_session_start": sum(r["from_cache"] for r in rows) / len(rows),
        "insights_per_pack": sum(r["insights"] for r in rows) / len(rows),
    }


def report(rows: list[dict[str, Any]], budgets: dict[str, int], dreamt: list[dict[str, Any]]) -> None:
    summary = summarize(rows)
    needed = summary["needed_turns"]
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "budgets": budgets,
        "summary": summary,
        "sessions": rows,
    }
    if dreamt:
        results["with_nightly_dreams"] = {"summary": summarize(dreamt), "sessions": dreamt}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "warm_cache.json").write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title=f"Warm cache on LoCoMo dev: {len(rows)} sessions, budgets {budgets}")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_row("evidence turns later sessions reach back to", str(needed))
    table.add_row("already in the warm pack (hit rate)", f"{summary['pack_hit_rate']:.2f}")
    table.add_row("in the conversation's tail of the same size", f"{summary['tail_hit_rate']:.2f}")
    table.add_row("a random pack of the same size (expected)", f"{summary['random_hit_rate']:.2f}")
    table.add_row("pack build p50 / p99", f"{summary['build_p50_ms']:.0f} / {summary['build_p99_ms']:.0f} ms")
    table.add_row("packs stored by cache-warming at session start", f"{summary['stored_at_session_start']:.0%}")
    if dreamt:
        after = results["with_nightly_dreams"]["summary"]
        table.add_row("with a dream after every session: hit rate", f"{after['pack_hit_rate']:.2f}")
        table.add_row("  insights per pack", f"{after['insights_per_pack']:.1f}")
        table.add_row("  pack build p50 / p99", f"{after['build_p50_ms']:.0f} / {after['build_p99_ms']:.0f} ms")
    console.print(table)
    plot(rows)
    console.print(f"results: {RESULTS / 'warm_cache.json'}, {RESULTS / 'warm_cache.png'}")


def plot(rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_conv: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_conv[r["conversation"]].append(r)
    labels = list(by_conv)
    series = {
        "warm pack": [sum(r["pack_hits"] for r in by_conv[c]) / sum(r["needed"] for r in by_conv[c]) for c in labels],
        "tail, same size": [
            sum(r["tail_hits"] for r in by_conv[c]) / sum(r["needed"] for r in by_conv[c]) for c in labels
        ],
        "random, same size": [
            statistics.mean(r["pack_tokens"] / r["history_tokens"] for r in by_conv[c]) for c in labels
        ],
    }
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(labels))], values, width, label=name)
    ax.set_xticks([x + width for x in range(len(labels))])
    ax.set_xticklabels(labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of needed evidence in context")
    ax.set_title("Warm pack hit rate per conversation (LoCoMo dev)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "warm_cache.png", dpi=110)


if __name__ == "__main__":
    main()
