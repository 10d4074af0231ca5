"""Warm-cache quality: does the pack predict what a session will need, better than packs that know nothing?

Each conversation's sessions are replayed in order through `somnia up`. Before session n's turns are
captured, the session is started (StartSession with its first turn as the opening) and cache-warming
stores its pack; recall's WarmCache reads it back. Then session n's turns are captured and indexed, and
the next session starts.

What session n needs: the evidence turns, in earlier sessions, of every question that also has
evidence in session n (what that session reaches back to). Hit rate = the share of those turns already
in context. At every session start, packs are built in this process from the same stores (the builder
recall runs; the API's stored pack is checked against it at the reference budget) over a curve of
total budgets, from a few hundred tokens to many times a session, so a pack cannot win by being big.
Against each, packs of the same budget from the same history:
- random: turns drawn at random (mean of 20 draws);
- tail: the last N tokens of the conversation;
- recent sessions: the newest sessions, each from its start;
- most recalled: the turns that per-turn recalls (an agent asking on every turn) returned most often.

Live wake: during session n, after each turn the agent asks `WakeDelta` with that turn; the delta joins
a rolling window. With live wake the same total budget is split: a pack of (1 - live share) and the
window of live share. Measured per question: the share of its earlier evidence in the agent's context
when it answers the first turn of session n that is evidence for it (after that turn's delta), against
the pack alone at the full budget.

Closed threads: generated histories list threads later reported done (`closed_threads`); at every
session start after the report, is the plan still in the pack, offered as something to pick up?

Stable prefix: the share of each pack's rendered bytes that repeat the previous session's pack from the
first byte (what a provider's prompt cache reuses).

`--data` takes LoCoMo's format; `benchmarks/agent_histories.py` writes generated agent histories in
the same format (`--data benchmarks/results/agent_histories_heldout.json`). Writes
benchmarks/results/warm_cache[-NAME].json and .png. Usage:
    uv run python benchmarks/warm_cache_bench.py [--budgets 250,500,...] [--data PATH] [--dream]
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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
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
import locomo_bench as locomo
import skeleton_bench as skeleton
import warm_baselines as base

console = Console()
RESULTS = Path(__file__).parent / "results"
AGENT = "locomo"
DEFAULT_LAYERS = {"L1": 8_000, "L2": 24_000, "L3": 64_000, "L4": 32_000}
DEFAULT_BUDGETS = (250, 500, 1000, 2000, 4000, 8000)
REFERENCE_SCALE = 32  # the API's stored pack: the default budgets / 32 = 4,000 tokens
USED_TOP = 3  # as recall counts a use: the top three of an answer
WAKE_TURNS = 1  # what a live-wake call sends: the newest turn (the last two predicted less)
DELTAS_HELD = 4  # a delta's budget is this share of the live window, so the window holds the last few
SYSTEMS = ("somnia", "somnia + live wake", "random", "tail", "recent sessions", "most recalled")


def layer_budgets(total: int) -> dict[str, int]:
    """A total budget split as the default layers split theirs (L1 1/16, L2 3/16, L3 1/2, L4 1/4)."""
    whole = sum(DEFAULT_LAYERS.values())
    return {layer: max(1, total * tokens // whole) for layer, tokens in DEFAULT_LAYERS.items()}


def sessions_of(conversation: dict[str, Any]) -> list[tuple[str, list[tuple[str, datetime, str]]]]:
    """[(session id, [(turn id, time, text)])] in order."""
    grouped: dict[str, list[tuple[str, datetime, str]]] = defaultdict(list)
    for session, turn_id, when, text in locomo.turns_of(conversation):
        grouped[session].append((turn_id, when, text))
    return list(grouped.items())


def needs(qas: list[dict[str, Any]], session_turns: dict[str, str]) -> dict[str, set[str]]:
    """For each session: evidence turns in earlier sessions of questions that have evidence in it."""
    needed: dict[str, set[str]] = defaultdict(set)
    for first, earlier in question_needs(qas, session_turns):
        needed[session_turns[first]] |= earlier
    return needed


def question_needs(qas: list[dict[str, Any]], session_turns: dict[str, str]) -> list[tuple[str, set[str]]]:
    """(the first evidence turn of a question in a session, its evidence in earlier sessions), for every
    question and every session that holds some of its evidence after the first."""
    order = {s: n for n, s in enumerate(dict.fromkeys(session_turns.values()))}
    turn_order = {t: n for n, t in enumerate(session_turns)}
    out = []
    for qa in qas:
        evidence = {e for e in locomo.evidence_of(qa) if e in session_turns}
        for session in {session_turns[e] for e in evidence}:
            earlier = {e for e in evidence if order[session_turns[e]] < order[session]}
            if earlier:
                first = min((e for e in evidence if session_turns[e] == session), key=turn_order.__getitem__)
                out.append((first, earlier))
    return out


def kinds_of(qas: list[dict[str, Any]]) -> dict[str, str]:
    """Each evidence turn's kind of knowledge: what a generated agent history's question is about
    ("procedure", "pitfall", "person", "preference", "thread"), or LoCoMo's category number."""
    kinds: dict[str, str] = {}
    for qa in qas:
        question = str(qa.get("question", ""))
        if "need about " in question:
            kind = question.rpartition("need about ")[2].split(":")[0].rstrip("?")
        else:
            kind = f"category {qa.get('category', '?')}"
        for turn in locomo.evidence_of(qa):
            kinds.setdefault(turn, kind)
    return kinds


def items_of(pack: Any) -> list[Any]:
    return [item for layer in pack.layers for item in layer.items]


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

    async def __call__(self, namespace: str, run_id: str) -> None:
        from somnia_dreaming.checkpoints import InProcessCheckpoints
        from somnia_dreaming.models import DreamWindow
        from somnia_dreaming.runner import DreamRunner
        from somnia_dreaming.settings import DreamSettings

        runner = DreamRunner(
            self.graph, self.store, self.consolidator, InProcessCheckpoints(), DreamSettings.from_env()
        )
        window = DreamWindow(namespace=namespace, since=datetime(1970, 1, 1, tzinfo=UTC), until=datetime.now(UTC))
        await runner.run(window, run_id)


class InProcess:
    """The warm pack builder and live waker recall runs, on the stores `somnia up` writes."""

    def __init__(self, home: Path) -> None:
        from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
        from somnia_extraction import OfflineExtractor
        from somnia_graph_store.embedded.store import EmbeddedGraphStore
        from somnia_memory_store.embedded.store import EmbeddedMemoryStore
        from somnia_retrieval import LiveWaker, RetrievalConfig, Retriever, create_live_waker, create_warm_builder

        config = RetrievalConfig.from_env()
        self.store = EmbeddedMemoryStore(home / "store" / "memories.sqlite3")
        self.graph = EmbeddedGraphStore(home / "store" / "graph.sqlite3")
        retriever = Retriever(
            OnnxMiniLMEmbedder(), self.store, config.ranking, graph=self.graph, extractor=OfflineExtractor()
        )
        self.builder = create_warm_builder(retriever, self.store, self.graph, config)
        self.waker: LiveWaker = create_live_waker(retriever, config)
        self.tokens = config.tokens

    async def aclose(self) -> None:
        await self.store.aclose()
        await self.graph.aclose()


@dataclass
class Tally:
    """Hits and needs per system and budget, summed over sessions (and over questions for live wake)."""

    needed: int = 0
    hits: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    layer_hits: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    kind_needed: Counter[str] = field(default_factory=Counter)
    kind_hits: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    question_needed: int = 0
    question_hits: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    prefix: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    build_ms: list[float] = field(default_factory=list)
    wake_ms: list[float] = field(default_factory=list)
    api: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # Session starts after a thread was reported done, and how many of those packs still held its plan.
    closed_checked: int = 0
    closed_packed: dict[int, int] = field(default_factory=lambda: defaultdict(int))


async def replay(
    conv: dict[str, Any],
    settings: Any,
    local: InProcess,
    budgets: list[int],
    live_share: float,
    tally: Tally,
    progress: Progress,
    task: Any,
    dream: Any = None,
) -> None:
    from somnia_contracts import memory_id_for
    from somnia_retrieval import WarmRequest
    from somnia_retrieval.live_wake import render_delta

    namespace = f"locomo/{conv['sample_id']}/warm" + ("-dream" if dream else "")
    sessions = sessions_of(conv["conversation"])
    session_of = {turn_id: session for session, turns in sessions for turn_id, _, _ in turns}
    needed = needs(conv["qa"], session_of)
    kind_of = kinds_of(conv["qa"])
    by_first: dict[str, list[set[str]]] = defaultdict(list)
    for first, earlier in question_needs(conv["qa"], session_of):
        by_first[first].append(earlier)
    turn_of_memory = {memory_id_for(namespace, s, t, 0): t for t, s in session_of.items()}
    order = {session: n for n, (session, _) in enumerate(sessions)}
    closed = [(c["plan"], order[session_of[c["report"]]]) for c in conv.get("closed_threads", [])]
    history: list[base.Turn] = []
    uses: Counter[str] = Counter()
    previous_rendered: dict[int, str] = {}
    previous_l4: dict[int, tuple[str, ...]] = {}  # as recall hands the agent's last pack's L4 to the next
    reference = sum(layer_budgets(sum(DEFAULT_LAYERS.values()) // REFERENCE_SCALE).values())

    def turns_in(items: Any) -> set[str]:
        found = {i.turn_id for i in items}
        # An insight counts as the turns it quotes.
        return found | {turn_of_memory.get(m, "") for i in items for m in i.derived_from}

    async with (
        open_aio_channel(settings.capture_address, token=read_local_key(settings.auth_dir)) as capture_channel,
        open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as recall_channel,
    ):
        capture = capture_pb2_grpc.CaptureServiceStub(capture_channel)
        recall = recall_pb2_grpc.RecallServiceStub(recall_channel)
        for n, (session, turns) in enumerate(sessions):
            opening = turns[0][2]
            started = capture_pb2.StartSessionRequest(
                namespace=namespace, session_id=session, agent=AGENT, opening=opening
            )
            started.started_at.FromDatetime(turns[0][1])
            await capture.StartSession(started)
            want = needed.get(session, set())
            if n:
                packs: dict[int, Any] = {}
                for budget in {*budgets, *(int(b * (1 - live_share)) for b in budgets), reference}:
                    request = WarmRequest(
                        namespace=namespace,
                        session_id=session,
                        agent=AGENT,
                        opening=opening,
                        budgets=layer_budgets(budget),
                        previous=previous_l4.get(budget, ()),
                    )
                    packs[budget] = await local.builder.build(request)
                    previous_l4[budget] = packs[budget].layer_ids("L4")
                    tally.build_ms.append(packs[budget].build_ms)
                for plan, reported in closed:
                    if n > reported:
                        tally.closed_checked += 1
                        for budget in budgets:
                            tally.closed_packed[budget] += plan in turns_in(items_of(packs[budget]))
                for budget in budgets:
                    rendered = packs[budget].rendered
                    if budget in previous_rendered:
                        tally.prefix[budget].append(base.common_prefix_share(previous_rendered[budget], rendered))
                    previous_rendered[budget] = rendered
                if want:
                    api = await stored_pack(recall, namespace, session)
                    api_items = [i for layer in api.layers for i in layer.items]
                    api_turns = {i.provenance.turn_id for i in api_items} | {
                        turn_of_memory.get(m, "") for i in api_items for m in i.provenance.derived_from
                    }
                    tally.api["needed"] += len(want)
                    tally.api["hits"] += len(want & api_turns)
                    tally.api["in_process_hits"] += len(want & turns_in(items_of(packs[reference])))
                    tally.api["from_cache"] += api.from_cache
                    tally.api["sessions"] += 1
                    tally.needed += len(want)
                    tally.kind_needed.update(kind_of.get(t, "?") for t in want)
                    for budget in budgets:
                        pack = packs[budget]
                        tally.kind_hits[budget].update(kind_of.get(t, "?") for t in want & turns_in(items_of(pack)))
                        for layer in pack.layers:
                            tally.layer_hits[budget][layer.layer] += len(want & turns_in(layer.items))
                        tally.hits["somnia"][budget] += len(want & turns_in(items_of(pack)))
                        tally.hits["random"][budget] += base.random_hits(history, budget, want, seed=n)
                        tally.hits["tail"][budget] += len(want & base.tail(history, budget))
                        tally.hits["recent sessions"][budget] += len(want & base.recent_sessions(history, budget))
                        tally.hits["most recalled"][budget] += len(want & base.most_recalled(history, uses, budget))
            # Live wake through the session: what was in context before each turn, then the delta it calls up.
            windows = {b: base.DeltaWindow(int(b * live_share)) for b in budgets}
            pack_turns = {b: turns_in(items_of(packs[b])) for b in packs} if n else {}
            pack_ids = {b: {i.memory_id for i in items_of(packs[b])} for b in packs} if n else {}
            said: list[str] = []
            for turn_id, _, text in turns:
                said.append(text)
                if not n:
                    continue
                started_at = time.perf_counter()
                candidates = await local.waker.candidates(namespace, session, "\n".join(said[-WAKE_TURNS:]))
                tally.wake_ms.append((time.perf_counter() - started_at) * 1000)
                uses.update(m.record.turn_id for m in candidates[:USED_TOP])
                for b in budgets:
                    known = pack_ids[int(b * (1 - live_share))] | windows[b].held
                    chosen = local.waker.select(candidates, known, max(1, windows[b].budget // DELTAS_HELD))
                    windows[b].add({i.memory_id for i in chosen}, local.tokens.count(render_delta(chosen)))
                # The agent answers this turn now: what its context holds for each question this turn is
                # the first evidence of, in this session.
                for earlier in by_first.get(turn_id, []):
                    tally.question_needed += len(earlier)
                    for b in budgets:
                        held = pack_turns[int(b * (1 - live_share))] | {
                            turn_of_memory.get(m, "") for m in windows[b].held
                        }
                        tally.question_hits["somnia + live wake"][b] += len(earlier & held)
                        tally.question_hits["somnia"][b] += len(earlier & pack_turns[b])
            request = capture_pb2.CaptureRequest(namespace=namespace, session_id=session)
            for turn_id, when, text in turns:
                turn = request.turns.add(turn_id=turn_id, role=capture_pb2.ROLE_USER, content=text)
                turn.occurred_at.FromDatetime(when)
            await capture.Capture(request)
            await capture.EndSession(capture_pb2.EndSessionRequest(namespace=namespace, session_id=session))
            history.extend(base.Turn(t, session, local.tokens.count(text) + 4) for t, _, text in turns)
            await locomo.wait_stored(local.store, local.graph, namespace, len(history))
            if dream is not None:
                await dream(namespace, f"after-{session}")
            progress.advance(task)


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


async def wake_latency(settings: Any, namespace: str, session: str, texts: list[str]) -> list[float]:
    """WakeDelta through gRPC, one call per turn: client-side milliseconds."""
    took = []
    async with open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as channel:
        recall = recall_pb2_grpc.RecallServiceStub(channel)
        known: list[str] = []
        for text in texts:
            started = time.perf_counter()
            delta = await recall.WakeDelta(
                recall_pb2.WakeDeltaRequest(
                    namespace=namespace, session_id=session, text=text, token_budget=500, known_memory_ids=known
                )
            )
            took.append((time.perf_counter() - started) * 1000)
            known += [i.memory_id for i in delta.items]
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--name", default="", help="results go to warm_cache-NAME.json (default: warm_cache.json)")
    parser.add_argument("--budgets", default=",".join(map(str, DEFAULT_BUDGETS)), help="total pack budgets")
    parser.add_argument("--live-share", type=float, default=0.25, help="share of the budget live wake fills")
    parser.add_argument("--dream", action="store_true", help="replay again with a dream after every session")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found; pass --data PATH (LoCoMo's format)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    budgets = sorted(int(b) for b in args.budgets.split(","))
    conversations = json.loads(args.data.read_text())
    reference = layer_budgets(sum(DEFAULT_LAYERS.values()) // REFERENCE_SCALE)
    env = {f"SOMNIA_WARM_{layer}_TOKENS": str(value) for layer, value in reference.items()}
    tallies: dict[str, Tally] = {}
    latency: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", env)
        local = InProcess(Path(settings.home))
        try:
            runs = [("", None)]
            if args.dream:
                runs.append(("with a dream after every session", NightlyDream(Path(settings.home))))
            with Progress(console=console) as progress:
                for label, dream in runs:
                    tally = tallies[label or "at session start"] = Tally()
                    for conv in conversations:
                        count = len(sessions_of(conv["conversation"]))
                        task = progress.add_task(f"replaying {conv['sample_id']} {label}", total=count)
                        asyncio.run(
                            replay(conv, settings, local, budgets, args.live_share, tally, progress, task, dream)
                        )
            first = conversations[0]
            last_session, turns = sessions_of(first["conversation"])[-1]
            latency = asyncio.run(
                wake_latency(settings, f"locomo/{first['sample_id']}/warm", last_session, [t for _, _, t in turns])
            )
        finally:
            asyncio.run(local.aclose())
            supervisor.stop()
    report(tallies, budgets, args, latency)


def summarize(tally: Tally, budgets: list[int]) -> dict[str, Any]:
    curves = {
        system: {b: tally.hits[system][b] / tally.needed for b in budgets} for system in SYSTEMS if system in tally.hits
    }
    live = {
        system: {b: tally.question_hits[system][b] / tally.question_needed for b in budgets}
        for system in ("somnia", "somnia + live wake")
    }
    return {
        "needed_turns": tally.needed,
        "hit_rate": curves,
        "ratio_to_random": {b: curves["somnia"][b] / max(curves["random"][b], 1e-9) for b in budgets},
        "per_layer": {b: {k: v / tally.needed for k, v in tally.layer_hits[b].items()} for b in budgets},
        "per_kind": {
            kind: {"needed": n, "hit_rate": {b: tally.kind_hits[b][kind] / n for b in budgets}}
            for kind, n in sorted(tally.kind_needed.items())
        },
        "question_evidence": tally.question_needed,
        "in_context_before_needed": live,
        "stable_prefix": {b: statistics.mean(v) if v else 0.0 for b, v in tally.prefix.items()},
        "closed_threads": {
            "session_starts": tally.closed_checked,
            "still_packed": {b: tally.closed_packed[b] / max(tally.closed_checked, 1) for b in budgets},
        },
        "build_p50_ms": statistics.median(tally.build_ms),
        "build_p99_ms": percentile(tally.build_ms, 0.99),
        "wake_candidates_p50_ms": statistics.median(tally.wake_ms),
        "wake_candidates_p99_ms": percentile(tally.wake_ms, 0.99),
        "api_reference": {
            "hit_rate": tally.api["hits"] / max(tally.api["needed"], 1),
            "in_process_hit_rate": tally.api["in_process_hits"] / max(tally.api["needed"], 1),
            "stored_at_session_start": tally.api["from_cache"] / max(tally.api["sessions"], 1),
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(tallies: dict[str, Tally], budgets: list[int], args: argparse.Namespace, latency: list[float]) -> None:
    summaries = {label: summarize(t, budgets) for label, t in tallies.items()}
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "data": args.data.name,
        "budgets": budgets,
        "live_share": args.live_share,
        "layer_split": {layer: tokens / sum(DEFAULT_LAYERS.values()) for layer, tokens in DEFAULT_LAYERS.items()},
        "wake_delta_rpc_ms": (
            {"p50": statistics.median(latency), "p99": percentile(latency, 0.99), "calls": len(latency)}
            if latency
            else {}
        ),
        "runs": summaries,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = "warm_cache" + (f"-{args.name}" if args.name else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    for label, s in summaries.items():
        table = Table(title=f"Warm cache on {args.data.name} ({label}): {s['needed_turns']} needed turns")
        table.add_column("total budget (tokens)")
        for b in budgets:
            table.add_column(str(b), justify="right")
        for system, curve in s["hit_rate"].items():
            table.add_row(system, *(f"{curve[b]:.2f}" for b in budgets))
        table.add_row("somnia / random", *(f"{s['ratio_to_random'][b]:.1f}x" for b in budgets))
        for system, curve in s["in_context_before_needed"].items():
            table.add_row(f"per question, answering its turn: {system}", *(f"{curve[b]:.2f}" for b in budgets))
        table.add_row("stable prefix share", *(f"{s['stable_prefix'].get(b, 0):.2f}" for b in budgets))
        if s["closed_threads"]["session_starts"]:
            closed = s["closed_threads"]
            table.add_row(
                f"threads reported done, still packed ({closed['session_starts']})",
                *(f"{closed['still_packed'][b]:.2f}" for b in budgets),
            )
        for kind, row in s["per_kind"].items():
            table.add_row(f"somnia, {kind} ({row['needed']})", *(f"{row['hit_rate'][b]:.2f}" for b in budgets))
        console.print(table)
        api = s["api_reference"]
        console.print(
            f"API stored pack at {sum(layer_budgets(sum(DEFAULT_LAYERS.values()) // REFERENCE_SCALE).values())} tokens:"
            f" hit rate {api['hit_rate']:.2f} (in process {api['in_process_hit_rate']:.2f}),"
            f" stored at session start {api['stored_at_session_start']:.0%};"
            f" build p50/p99 {s['build_p50_ms']:.0f}/{s['build_p99_ms']:.0f} ms;"
            f" wake candidates p50/p99 {s['wake_candidates_p50_ms']:.0f}/{s['wake_candidates_p99_ms']:.0f} ms"
        )
    if latency:
        w = results["wake_delta_rpc_ms"]
        console.print(f"WakeDelta through gRPC: p50 {w['p50']:.1f} ms, p99 {w['p99']:.1f} ms over {w['calls']} calls")
    plot(summaries, budgets, RESULTS / f"{stem}.png", args.data.name)
    console.print(f"results: {RESULTS / (stem + '.json')}, {RESULTS / (stem + '.png')}")


def plot(summaries: dict[str, dict[str, Any]], budgets: list[int], path: Path, data: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = summaries["at session start"]
    fig, (curve, layers) = plt.subplots(1, 2, figsize=(12, 4.5))
    for system, values in s["hit_rate"].items():
        width = 2.5 if system == "somnia" else 1.2
        curve.plot(budgets, [values[b] for b in budgets], marker="o", label=system, lw=width)
    live = s["in_context_before_needed"]["somnia + live wake"]
    curve.plot(budgets, [live[b] for b in budgets], marker="s", ls="--", label="somnia + live wake (per question)")
    curve.set_xscale("log")
    curve.minorticks_off()
    curve.set_xticks(budgets, [str(b) for b in budgets])
    curve.set_xlabel("total context budget (tokens)")
    curve.set_ylabel("share of needed evidence in context")
    curve.set_ylim(0, 1)
    curve.set_title(f"Warm pack against packs of the same size ({data})")
    curve.grid(alpha=0.3)
    curve.legend(fontsize=8)
    bottom = [0.0] * len(budgets)
    for layer in ("L4", "L3", "L2", "L1"):
        values = [s["per_layer"][b].get(layer, 0.0) for b in budgets]
        layers.bar([str(b) for b in budgets], values, bottom=bottom, label=layer)
        bottom = [x + y for x, y in zip(bottom, values, strict=True)]
    layers.set_xlabel("total context budget (tokens)")
    layers.set_ylabel("hit rate, by the layer that held it")
    layers.set_ylim(0, 1)
    layers.set_title("Where the warm pack's hits come from")
    layers.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
