"""What promotion to weights buys and what it costs, through `somnia up` (embedded stores, real NATS).

1. LoCoMo development set: each conversation is imported through the capture API, dreamt over, and its
   questions asked through the Recall API (which records each answer's memories as uses, as in
   production). Then the promotion rule runs with its default thresholds and prices, at the
   conversation's own session rate (a few a month: it never pays for a training run) and at the rates
   `--rates` gives; at the last one the promoted memories are trained into a LoRA adapter by the real
   trainer (the tiny random model on CPU: the mechanism, not a model's quality). At the start of every session of
   the conversation a warm pack is built twice, as a caller without the adapter and as one running it:
   the tokens the promoted memories held in the pack are what the adapter saves.
2. The training run: time, peak memory, closed-book probe accuracy before and after.
3. Forgetting reaching the weights: from a Forget call, and from a retraction said in conversation
   ("strike what I said about ..."), to the adapter marked stale in the registry.

    uv run python benchmarks/parametric_bench.py [--data PATH] [--rates 20,200] [--epochs 20]
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")  # as dream_bench: forks while holding channels

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import locomo_bench as locomo
import skeleton_bench as skeleton

console = Console(width=170)
RESULTS = Path(__file__).parent / "results"
TRAINER = Path.home() / ".cache" / "somnia" / "trainer-venv" / "bin" / "python"


async def registry_of(settings: Any) -> tuple[Any, Any]:
    import nats
    from somnia_cli.nats_users import nats_url
    from somnia_parametric import AdapterRegistry

    client = await nats.connect(nats_url(settings.host, settings.nats_port, settings.auth_dir, "operator"))
    registry = AdapterRegistry(client.jetstream())
    await registry.open()
    return client, registry


async def ask_everything(settings: Any, namespace: str, questions: list[dict[str, Any]]) -> None:
    """Every question through the Recall API: the answers' memories become uses (memory.recalled)."""
    from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
    from somnia_auth import open_aio_channel, read_local_key

    async with open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        for qa in questions:
            await stub.Recall(recall_pb2.RecallRequest(namespace=namespace, query=qa["question"], k=10))


async def wait_for_uses(systems: Any, namespace: str, settle_s: float = 3.0) -> int:
    """Uses reach the graph through NATS; wait until their count stops moving."""
    last, stable_since = -1, time.monotonic()
    while True:
        ids = [r.memory_id for r in await systems.store.scan(namespace)]
        used = sum(h.count for h in (await systems.graph.memory_uses(namespace, ids)).values())
        if used != last:
            last, stable_since = used, time.monotonic()
        elif time.monotonic() - stable_since > settle_s:
            return used
        await asyncio.sleep(0.5)


async def conversation_run(
    conv: dict[str, Any], settings: Any, systems: Any, registry: Any, args: argparse.Namespace
) -> dict[str, Any]:
    from somnia_auth import read_local_key
    from somnia_dreaming.checkpoints import InProcessCheckpoints
    from somnia_dreaming.jobs.consolidate import Consolidator
    from somnia_dreaming.models import DreamWindow
    from somnia_dreaming.parametric.launchers import LocalLauncher
    from somnia_dreaming.parametric.promote import ParametricSettings, Promoter
    from somnia_dreaming.parametric.settings import LauncherSettings
    from somnia_dreaming.runner import DreamRunner
    from somnia_dreaming.settings import DreamSettings
    from somnia_dreaming.summarize import ExtractiveSummarizer
    from somnia_parametric import DatasetSettings, PromotionSettings, TrainingSettings
    from somnia_retrieval import RetrievalConfig, Retriever, WarmRequest, create_warm_builder
    from somnia_tokens import TokenizerSettings, create_token_counter

    namespace = f"locomo/{conv['sample_id']}/weights"
    n = await locomo.import_conversation(
        settings.capture_address, namespace, conv["conversation"], read_local_key(settings.auth_dir)
    )
    await locomo.wait_linked(systems, namespace, n)
    # The conversation's own span: its session rate is sessions over these days.
    times = [when for _, _, when, _ in locomo.turns_of(conv["conversation"])]
    window = DreamWindow(namespace=namespace, since=min(times), until=max(times) + timedelta(days=1))
    consolidator = Consolidator(systems.store, systems.graph, systems.embedder, ExtractiveSummarizer())
    runner = DreamRunner(systems.graph, systems.store, consolidator, InProcessCheckpoints(), DreamSettings.from_env())
    await runner.run(window, "bench")
    questions = [qa for qa in conv["qa"] if locomo.evidence_of(qa)]
    await ask_everything(settings, namespace, questions)
    uses = await wait_for_uses(systems, namespace)

    tokens = create_token_counter(TokenizerSettings())

    def promoter_at(rate: float) -> Promoter:
        """The rule at `rate` sessions a day (0: the conversation's own), the trainer for real."""
        parametric = ParametricSettings(
            promotion=PromotionSettings(expected_sessions_per_day=rate),
            dataset=DatasetSettings(),
            training=TrainingSettings(epochs=args.epochs),
            launcher=LauncherSettings(data_dir=Path(settings.home) / "parametric", trainer_python=str(TRAINER)),
        )
        launcher = LocalLauncher(parametric.launcher)
        return Promoter(systems.store, systems.graph, tokens, launcher, parametric, registry)

    rates = {}
    for rate in (0.0, *args.rates):
        explained = await promoter_at(rate).explain(window)
        rates[str(rate or "own")] = {
            "sessions_per_day": rate or round(explained.candidates.sessions_per_day, 4),
            "passing": sum(1 for d in explained.batch.decisions if d.promoted),
            "train": explained.batch.train,
            "savings": round(explained.batch.savings, 4),
            "cost": round(explained.batch.cost, 4),
            "reason": explained.batch.reason,
        }
    report = await promoter_at(args.rates[-1]).promote(window)
    batch = report.explained.batch
    carried = (
        frozenset(report.adapter.memory_ids) if report.adapter and report.adapter.status == "live" else frozenset()
    )

    config = RetrievalConfig.from_env()
    builder = create_warm_builder(
        Retriever(systems.embedder, systems.store, config.ranking, graph=systems.graph),
        systems.store,
        systems.graph,
        config,
    )
    openings: dict[str, str] = {}
    for session, _turn_id, _when, text in locomo.turns_of(conv["conversation"]):
        openings.setdefault(session, text)
    packs = []
    for session, opening in openings.items():
        plain = await builder.build(WarmRequest(namespace=namespace, session_id=f"start-{session}", opening=opening))
        served = await builder.build(
            WarmRequest(namespace=namespace, session_id=f"start-{session}", opening=opening, exclude=carried)
        )
        held = sum(i.tokens for layer in plain.layers for i in layer.items if i.memory_id in carried)
        packs.append(
            {
                "session": session,
                "tokens": plain.tokens,
                "held_by_promoted": held,
                "promoted_items": sum(1 for layer in plain.layers for i in layer.items if i.memory_id in carried),
                "tokens_with_adapter": served.tokens,
                "promoted_in_pack_with_adapter": sum(
                    1 for layer in served.layers for i in layer.items if i.memory_id in carried
                ),
            }
        )
    failing: dict[str, int] = defaultdict(int)
    for d in batch.decisions:
        for gate in d.failed:
            failing[gate] += 1
    kinds: dict[str, int] = defaultdict(int)
    for d in batch.decisions:
        if d.candidate.memory_id in batch.promoted:
            kinds[d.candidate.kind] += 1
    return {
        "conversation": conv["sample_id"],
        "turns": n,
        "questions": len(questions),
        "uses": uses,
        "candidates": len(batch.decisions),
        "rates": rates,
        "failing_gates": dict(failing),
        "promoted": len(batch.promoted),
        "promoted_kinds": dict(kinds),
        "savings": batch.savings,
        "cost": batch.cost,
        "note": report.note,
        "adapter": report.adapter.model_dump(mode="json", exclude={"memory_ids"}) if report.adapter else None,
        "packs": packs,
    }


async def time_to_stale(settings: Any, systems: Any, registry: Any) -> dict[str, float]:
    """Milliseconds from a Forget call, and from a retraction said in conversation, to the adapter holding
    the memory marked stale."""
    from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
    from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
    from somnia_auth import open_aio_channel, read_local_key
    from somnia_contracts import memory_id_for
    from somnia_parametric import AdapterRecord

    namespace = "bench/weights/stale"
    token = read_local_key(settings.auth_dir)
    said = {
        "erase": "My locker combination at the climbing gym is 4-8-15.",
        "retract": "I go to the pool on Elm Street every Tuesday.",
    }
    async with (
        open_aio_channel(settings.capture_address, token=token) as capture_channel,
        open_aio_channel(settings.recall_address, token=token) as recall_channel,
    ):
        capture = capture_pb2_grpc.CaptureServiceStub(capture_channel)
        recall = recall_pb2_grpc.RecallServiceStub(recall_channel)
        for key, text in said.items():
            turn = capture_pb2.Turn(turn_id=f"{key}-0", role=capture_pb2.ROLE_USER, content=text)
            await capture.Capture(capture_pb2.CaptureRequest(namespace=namespace, session_id=key, turns=[turn]))
        await locomo.wait_linked(systems, namespace, 2)
        now = datetime.now(UTC)
        for n, key in enumerate(said, start=1):
            await registry.put(
                AdapterRecord(
                    namespace=namespace,
                    adapter_id=f"v{n}-{key}",
                    version=n,
                    base_model="tiny-random",
                    dataset_version=key,
                    memory_ids=(memory_id_for(namespace, key, f"{key}-0", 0),),
                    status="live",
                    created_at=now,
                    updated_at=now,
                )
            )

        async def stale_after(adapter_id: str, started: float) -> float:
            while True:
                record = await registry.get(namespace, adapter_id)
                if record is not None and record.status == "stale":
                    return (time.perf_counter() - started) * 1000
                if time.perf_counter() - started > 60:
                    raise TimeoutError(f"{adapter_id} was not marked stale within 60 s")
                await asyncio.sleep(0.005)

        started = time.perf_counter()
        await recall.Forget(
            recall_pb2.ForgetRequest(namespace=namespace, memory_id=memory_id_for(namespace, "erase", "erase-0", 0))
        )
        erase_ms = await stale_after("v1-erase", started)
        turn = capture_pb2.Turn(
            turn_id="retract-1", role=capture_pb2.ROLE_USER, content="Strike what I said about the pool."
        )
        started = time.perf_counter()
        await capture.Capture(capture_pb2.CaptureRequest(namespace=namespace, session_id="retract", turns=[turn]))
        retract_ms = await stale_after("v2-retract", started)
    return {"forget_to_stale_ms": round(erase_ms, 1), "retraction_to_stale_ms": round(retract_ms, 1)}


async def run(conversations: list[dict[str, Any]], settings: Any, args: argparse.Namespace) -> dict[str, Any]:
    systems = locomo.Systems(Path(settings.home), settings.recall_address)
    client, registry = await registry_of(settings)
    try:
        runs = []
        for conv in track(conversations, description="conversations"):
            runs.append(await conversation_run(conv, settings, systems, registry, args))
            console.print(f"{runs[-1]['conversation']}: {runs[-1]['note']}")
        stale = await time_to_stale(settings, systems, registry)
    finally:
        await client.close()
        await systems.aclose()
    return {"conversations": runs, "stale": stale}


def report(results: dict[str, Any]) -> None:
    table = Table(title="promotion to weights on LoCoMo dev (tiny random model: the mechanism)")
    for column in (
        "conversation",
        "candidates",
        "promoted (kinds)",
        "probes token acc. before -> after",
        "exact before -> after",
        "train s",
        "peak RSS MiB",
        "pack tokens",
        "saved per pack (median / mean)",
    ):
        table.add_column(column)
    for r in results["conversations"]:
        metrics = (r["adapter"] or {}).get("metrics", {})
        saved = [p["held_by_promoted"] for p in r["packs"]]
        table.add_row(
            r["conversation"],
            str(r["candidates"]),
            f"{r['promoted']} {r['promoted_kinds']}",
            f"{metrics.get('probe_token_accuracy_before', 0):.2f} -> "
            f"{metrics.get('probe_token_accuracy_after', 0):.2f}",
            f"{metrics.get('probe_exact_before', 0):.2f} -> {metrics.get('probe_exact_after', 0):.2f}",
            f"{metrics.get('seconds', 0):.0f}",
            f"{metrics.get('peak_rss_mib', 0):.0f}",
            f"{statistics.median(p['tokens'] for p in r['packs']):.0f}",
            f"{statistics.median(saved):.0f} / {statistics.mean(saved):.0f}",
        )
    console.print(table)
    rule = Table(title="the promotion rule at several session rates (default thresholds and prices)")
    for column in ("conversation", "sessions a day", "passing", "savings vs cost", "decision"):
        rule.add_column(column)
    for r in results["conversations"]:
        for at in r["rates"].values():
            decision = "train" if at["train"] else at["reason"]
            saving = f"{at['savings']:.2f} vs {at['cost']:.2f}"
            rule.add_row(r["conversation"], f"{at['sessions_per_day']:g}", str(at["passing"]), saving, decision)
    console.print(rule)
    stale = results["stale"]
    console.print(
        f"forgetting reaches the weights: Forget -> stale {stale['forget_to_stale_ms']:.0f} ms; "
        f"retraction said in conversation -> stale {stale['retraction_to_stale_ms']:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo" / "locomo_dev.json"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument(
        "--rates",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[20.0, 200.0],
        help="session rates a day to apply the rule at (besides each conversation's own); it trains at the last",
    )
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not TRAINER.is_file():
        raise SystemExit(f"{TRAINER} is missing: `make trainer-setup` installs the trainer's environment")
    conversations = json.loads(args.data.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = skeleton.start_somnia(Path(tmp) / "home", {"SOMNIA_RECALL_RECORD_USES": "true"})
        try:
            results = {
                "when": datetime.now(UTC).isoformat(),
                "rates": args.rates,
                "epochs": args.epochs,
                **asyncio.run(run(conversations, settings, args)),
            }
        finally:
            supervisor.stop()
    report(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "parametric.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"results: {RESULTS / 'parametric.json'}")


if __name__ == "__main__":
    main()
