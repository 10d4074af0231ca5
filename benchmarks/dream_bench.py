"""What dreaming is worth, and what it costs.

1. LoCoMo before / after: the development conversations are imported through `somnia up`; Recall (the
   same pipeline as the API, in process) answers every question, then a dream run consolidates the
   conversation, and every question is asked again. An insight in the results counts as the memories it
   quotes (its provenance, which the agent reads in its text), so the figure is evidence recall@k by
   items, with the tokens those k items cost beside it.
2. Scale: 10,000 synthetic agent sessions (about 70,000 memories) written straight to the embedded stores
   (synthetic vectors: the embedder is not what is measured), then one dream run in a child process,
   with its wall time, its RSS once the embedder is loaded and its peak RSS; the baseline in the same
   command is the same child only reading every session and memory page by page (a run's I/O floor).

    uv run python benchmarks/dream_bench.py [--data PATH] [--sessions 10000] [--skip-locomo]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from somnia_auth import read_local_key

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton

console = Console()
RESULTS = Path(__file__).parent / "results"
CACHE = Path(os.environ.get("SOMNIA_CACHE", Path.home() / ".cache" / "somnia")) / "bench"
SCALE_NS = "bench/dream/scale"
K = 10


async def ask_all(
    retriever: Any, store: Any, tokens: Any, namespace: str, questions: list[dict[str, Any]]
) -> dict[str, list[float]]:
    """Per category: [fractional recall@K sum, questions, tokens of the K items sum]."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for qa in questions:
        found = await retriever.recall(namespace, qa["question"], k=K)
        turns: set[str] = set()
        for m in found:
            if m.derived_from:  # an insight: it shows the memories it quotes
                turns.update(r.turn_id for r in await store.get(namespace, list(m.derived_from)))
            else:
                turns.add(m.record.turn_id)
        evidence = locomo.evidence_of(qa)
        cell = sums[locomo.CATEGORIES[int(qa["category"])]]
        cell[0] += len(evidence & turns) / len(evidence)
        cell[1] += 1
        cell[2] += sum(tokens.count(m.record.text) for m in found)
    return sums


async def locomo_before_after(conversations: list[dict[str, Any]], settings: Any) -> dict[str, Any]:
    from somnia_dreaming.checkpoints import InProcessCheckpoints
    from somnia_dreaming.jobs.consolidate import Consolidator
    from somnia_dreaming.models import DreamWindow
    from somnia_dreaming.runner import DreamRunner
    from somnia_dreaming.settings import DreamSettings
    from somnia_dreaming.summarize import ExtractiveSummarizer
    from somnia_extraction import OfflineExtractor
    from somnia_retrieval import RankingSettings, Retriever
    from somnia_tokens import TokenizerSettings, create_token_counter

    systems = locomo.Systems(Path(settings.home), settings.recall_address)
    tokens = create_token_counter(TokenizerSettings())
    retriever = Retriever(
        systems.embedder, systems.store, RankingSettings(), graph=systems.graph, extractor=OfflineExtractor()
    )
    totals: dict[str, dict[str, list[float]]] = {
        "before": defaultdict(lambda: [0.0, 0.0, 0.0]),
        "after": defaultdict(lambda: [0.0, 0.0, 0.0]),
    }
    dream_notes = []
    try:
        for conv in conversations:
            namespace = f"locomo/{conv['sample_id']}/dream"
            n = await locomo.import_conversation(
                settings.capture_address, namespace, conv["conversation"], read_local_key(settings.auth_dir)
            )
            await locomo.wait_linked(systems, namespace, n)
            questions = [qa for qa in conv["qa"] if locomo.evidence_of(qa)]
            for category, cell in (await ask_all(retriever, systems.store, tokens, namespace, questions)).items():
                totals["before"][category] = [a + b for a, b in zip(totals["before"][category], cell, strict=True)]
            runner = DreamRunner(
                systems.graph,
                systems.store,
                Consolidator(systems.store, systems.graph, systems.embedder, ExtractiveSummarizer()),
                InProcessCheckpoints(),
                DreamSettings.from_env(),
            )
            started = time.perf_counter()
            window = DreamWindow(namespace=namespace, since=datetime(1970, 1, 1, tzinfo=UTC), until=datetime.now(UTC))
            state = await runner.run(window, "bench")
            notes = {job: r.note for job, r in state.done.items()}
            dream_notes.append(
                {"conversation": conv["sample_id"], "seconds": round(time.perf_counter() - started, 1), **notes}
            )
            console.print(f"{conv['sample_id']}: {n} turns; dream {time.perf_counter() - started:.1f}s: {notes}")
            for category, cell in (await ask_all(retriever, systems.store, tokens, namespace, questions)).items():
                totals["after"][category] = [a + b for a, b in zip(totals["after"][category], cell, strict=True)]
    finally:
        await systems.aclose()
    return {"totals": {k: dict(v) for k, v in totals.items()}, "dreams": dream_notes}


def scale_store(sessions: int) -> Path:
    """The synthetic namespace, built once and cached (writing 10,000 sessions takes a few minutes)."""
    home = CACHE / f"dream-{sessions}-v1"
    if (home / "done").exists():
        return home
    code = f"""
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from somnia_dreaming import synthetic
from somnia_embedder.onnx_minilm import MODEL_NAME
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from rich.progress import track

async def main():
    home = Path({str(home)!r})
    store, graph = EmbeddedMemoryStore(home / "memories.sqlite3"), EmbeddedGraphStore(home / "graph.sqlite3")
    await graph.ensure_schema()
    vectors = synthetic.TopicVectors()
    batch = []
    generated = synthetic.generate({sessions}, start=datetime.now(UTC) - timedelta(days=6))
    for s in track(generated, total={sessions}, description="writing synthetic sessions"):
        batch.append(s)
        if len(batch) == 250:
            await synthetic.write({SCALE_NS!r}, batch, graph, store, vectors, embedder=MODEL_NAME)
            batch = []
    if batch:
        await synthetic.write({SCALE_NS!r}, batch, graph, store, vectors, embedder=MODEL_NAME)
    (home / "done").write_text("ok")

asyncio.run(main())
"""
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", code], check=True)
    return home


CHILD = """
import asyncio, json, sys, time
from datetime import UTC, datetime, timedelta
from somnia_dreaming import reader
from somnia_dreaming.main import create_runner, create_summarizer
from somnia_service_runtime import Stores
from somnia_dreaming.checkpoints import InProcessCheckpoints
from somnia_dreaming.models import DreamWindow
from somnia_dreaming.settings import DreamingSettings, DreamSettings

def memory_mib():
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024

async def main(mode):
    stores = await Stores.open()
    loaded, _ = memory_mib()
    now = datetime.now(UTC)
    window = DreamWindow(namespace=sys.argv[2], since=now - timedelta(days=7), until=now + timedelta(days=1))
    settings = DreamingSettings()
    started = time.perf_counter()
    if mode == "read":
        n = 0
        async for _ in reader.session_digests(stores.graph, window, settings.page_size):
            n += 1
        async for _ in reader.memories(stores.store, window, settings.page_size):
            n += 1
        notes = {"read": n}
    else:
        dream = DreamSettings.from_env(settings)
        summarizer = create_summarizer(dream.consolidation)
        state = await create_runner(stores, summarizer, dream, InProcessCheckpoints(), None).run(window, "scale")
        await summarizer.aclose()
        notes = {job: [r.note, r.seconds] for job, r in state.done.items()}
    seconds = time.perf_counter() - started
    _, peak = memory_mib()
    await stores.aclose()
    print(json.dumps({"seconds": seconds, "rss_loaded_mib": loaded, "peak_rss_mib": peak, "notes": notes}))

asyncio.run(main(sys.argv[1]))
"""


def scale_run(home: Path, mode: str) -> dict[str, Any]:
    env = {**os.environ, "SOMNIA_STORE_DATA_DIR": str(home), "SOMNIA_GRAPH_DATA_DIR": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, SCALE_NS], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--skip-locomo", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Each part keeps its own time, so running one part leaves the other's last figures in the file.
    path = RESULTS / "dream.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if not args.skip_locomo:
        conversations = json.loads(args.data.read_text())
        with tempfile.TemporaryDirectory() as tmp:
            supervisor, settings = skeleton.start_somnia(Path(tmp) / "home")
            try:
                results["locomo"] = {
                    "when": datetime.now(UTC).isoformat(),
                    **asyncio.run(locomo_before_after(conversations, settings)),
                }
            finally:
                supervisor.stop()
        report_locomo(results["locomo"]["totals"])
    if not args.skip_scale:
        results["scale"] = {"when": datetime.now(UTC).isoformat(), **run_scale(args.sessions)}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"results: {RESULTS / 'dream.json'}")


def run_scale(sessions: int) -> dict[str, Any]:
    home = scale_store(sessions)
    baseline = scale_run(home, "read")
    dream = scale_run(home, "dream")
    scale = {
        "sessions": sessions,
        "read_only": baseline,
        "dream": dream,
        "ratio": dream["seconds"] / baseline["seconds"],
    }
    table = Table(title=f"a dream run over {sessions:,} synthetic sessions")
    for column in ("run", "seconds", "RSS with the model loaded (MiB)", "peak RSS (MiB)"):
        table.add_column(column)
    for label, run in (("read every session and memory (baseline)", baseline), ("dream: all five jobs", dream)):
        table.add_row(label, f"{run['seconds']:.1f}", f"{run['rss_loaded_mib']:.0f}", f"{run['peak_rss_mib']:.0f}")
    console.print(table)
    for job, (note, seconds) in dream["notes"].items():
        console.print(f"  {job}: {note} ({seconds:.1f} s)")
    return scale


def report_locomo(totals: dict[str, dict[str, list[float]]]) -> None:
    table = Table(
        title=f"LoCoMo dev: fractional evidence recall@{K} before / after one dream run (tokens of the items)"
    )
    for column in ("category", "before", "after", "change"):
        table.add_column(column)
    categories = sorted(totals["before"])
    answerable = [c for c in categories if c != "adversarial"]
    for category, chosen in [*((c, [c]) for c in categories), ("all but adversarial", answerable)]:
        cells = []
        for which in ("before", "after"):
            hits, n, used = (sum(totals[which][c][i] for c in chosen) for i in range(3))
            cells.append((hits / n, used / n, int(n)))
        (b, bt, n), (a, at, _) = cells
        table.add_row(f"{category} ({n})", f"{b:.2f} ({bt:.0f})", f"{a:.2f} ({at:.0f})", f"{a - b:+.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
