"""A sustained load test: capture at a steady rate (default 100 turns a second) while callers ask Recall
at their own steady rate, for several minutes, on `somnia up` with every service.

Measured over time (10-second windows): capture -> recallable latency (the turn's memory.indexed event
minus its send), Recall latency as a caller sees it (query embedding included), JetStream consumer lag
(messages pending or unacknowledged, summed over each stream's consumers) and every process's resident
memory. Both arrival processes are open-loop: a slow server does not slow the load down, so backlog
shows as lag and latency instead of hiding in a lower rate. The steady-state figures leave out the
first 30 seconds. The callers run on the same machine and take CPU from the servers.

    uv run python benchmarks/load_bench.py [--minutes 5] [--rate 100] [--recall-rate 20] [--callers 8]

Writes benchmarks/results/load.json and benchmarks/results/load.png.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import asyncio
import contextlib
import json
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key
from somnia_cli.nats_users import OPERATOR, nats_url
from somnia_cli.settings import CliSettings

sys.path.insert(0, str(Path(__file__).parent))
import synthetic
from skeleton_bench import LOAD_AWARE_RERANK, NS, children, percentile, rss_mib, start_somnia

RESULTS = Path(__file__).parent / "results"
WINDOW_S = 10.0
SETTLE_S = 30.0
SAMPLE_S = 2.0
console = Console(width=140)


class Recorder:
    """Everything measured, as (seconds since start, value) samples."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.capture: list[tuple[float, float]] = []  # (sent at, ms until indexed)
        self.recall: list[tuple[float, float]] = []  # (asked at, ms)
        self.recall_errors = 0
        self.capture_errors = 0
        self.lag: list[tuple[float, dict[str, int]]] = []
        self.rss: list[tuple[float, dict[str, float]]] = []

    def now(self) -> float:
        return time.perf_counter() - self.start


async def capture_load(
    settings: CliSettings, rec: Recorder, rate: float, seconds: float, sent: dict[str, float]
) -> int:
    rng = random.Random(3)
    count = int(rate * seconds)
    async with open_aio_channel(settings.capture_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        calls = []

        async def send(i: int, text: str) -> None:
            turn_id = f"load-{i}"
            sent[turn_id] = rec.now()
            try:
                await stub.Capture(
                    capture_pb2.CaptureRequest(
                        namespace=NS,
                        session_id=f"load-{i // 40}",
                        turns=[capture_pb2.Turn(turn_id=turn_id, role=capture_pb2.ROLE_USER, content=text)],
                    ),
                    timeout=30,
                )
            except Exception:  # counted, reported, never hidden
                rec.capture_errors += 1

        texts = synthetic.dialogue(("Ana", "Ben"), count, rng)
        with Progress(console=console) as progress:
            task = progress.add_task(f"capturing {count:,} turns at {rate:.0f}/s", total=count)
            for i, text in enumerate(texts):
                await asyncio.sleep(max(0.0, rec.start + i / rate - time.perf_counter()))
                calls.append(asyncio.ensure_future(send(i, text)))
                if i % int(rate) == 0:
                    progress.update(task, completed=i)
            progress.update(task, completed=count)
        await asyncio.gather(*calls)
    return count


async def recall_load(settings: CliSettings, rec: Recorder, rate: float, seconds: float, callers: int) -> None:
    questions = synthetic.questions(1000, seed=21)
    token = read_local_key(settings.auth_dir)
    calls = []

    async def ask(i: int) -> None:
        asked = rec.now()
        try:
            await stubs[i % callers].Recall(
                recall_pb2.RecallRequest(namespace=NS, query=questions[i % len(questions)], k=10), timeout=30
            )
            rec.recall.append((asked, (rec.now() - asked) * 1000))
        except Exception as exc:  # an empty namespace in the first second is NOT_FOUND; counted either way
            if "NOT_FOUND" not in str(exc) or asked > 5:
                rec.recall_errors += 1

    async with contextlib.AsyncExitStack() as stack:
        # Each a connection of its own (channels of one process to one address otherwise share one).
        own = [("grpc.use_local_subchannel_pool", 1)]
        channels = [
            await stack.enter_async_context(open_aio_channel(settings.recall_address, token=token, options=own))
            for _ in range(callers)
        ]
        stubs = [recall_pb2_grpc.RecallServiceStub(c) for c in channels]
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, rec.start + 1.0 + i / rate - time.perf_counter()))
            calls.append(asyncio.ensure_future(ask(i)))
        await asyncio.gather(*calls)


def process_memory() -> dict[str, float]:
    """MiB resident for each process under this one, named by its service module."""
    rss: dict[str, float] = {}
    for pid in children(os.getpid()):
        words = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split()
        label = next((w for w in words if w.startswith("somnia_")), Path(words[0]).name if words else "?")
        rss[f"{label}:{pid}" if label in rss else label] = rss_mib(pid)
    return rss


async def sampler(settings: CliSettings, rec: Recorder, stop: asyncio.Event) -> None:
    client = await nats.connect(nats_url(settings.host, settings.nats_port, settings.auth_dir, OPERATOR))
    js = client.jetstream()
    try:
        while not stop.is_set():
            lag: dict[str, int] = defaultdict(int)
            for stream in await js.streams_info():
                for consumer in await js.consumers_info(stream.config.name):
                    lag[stream.config.name] += consumer.num_pending + consumer.num_ack_pending
            rec.lag.append((rec.now(), dict(lag)))
            rec.rss.append((rec.now(), process_memory()))
            await asyncio.sleep(SAMPLE_S)
    finally:
        await client.close()


async def run(settings: CliSettings, minutes: float, rate: float, recall_rate: float, callers: int) -> Recorder:
    rec = Recorder()
    sent: dict[str, float] = {}
    total = int(rate * minutes * 60)
    drained = asyncio.Event()
    client = await nats.connect(nats_url(settings.host, settings.nats_port, settings.auth_dir, OPERATOR))

    async def on_indexed(msg: Any) -> None:
        at = sent.pop(json.loads(msg.data)["turn_id"], None)
        if at is not None:
            rec.capture.append((at, (rec.now() - at) * 1000))
            if len(rec.capture) >= total - rec.capture_errors:
                drained.set()

    await client.subscribe("somnia.v1.memory.indexed.>", cb=on_indexed)
    stop = asyncio.Event()
    sampling = asyncio.ensure_future(sampler(settings, rec, stop))
    await asyncio.gather(
        capture_load(settings, rec, rate, minutes * 60, sent),
        recall_load(settings, rec, recall_rate, minutes * 60 - 1.0, callers),
    )
    try:
        await asyncio.wait_for(drained.wait(), timeout=120)
    except TimeoutError:
        console.print(f"[yellow]{len(sent)} turns were not indexed within 2 minutes of the last send[/]")
    stop.set()
    await sampling
    await client.close()
    return rec


def windows(samples: list[tuple[float, float]], end: float) -> list[dict[str, float]]:
    out = []
    t = 0.0
    while t < end:
        values = [v for at, v in samples if t <= at < t + WINDOW_S]
        if values:
            out.append({"t": t, "p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99), "n": len(values)})
        t += WINDOW_S
    return out


def summarize(rec: Recorder, args: argparse.Namespace) -> dict[str, object]:
    end = args.minutes * 60
    steady_capture = [v for at, v in rec.capture if at >= SETTLE_S]
    steady_recall = [v for at, v in rec.recall if at >= SETTLE_S]
    first_rss, last_rss = rec.rss[0][1] if rec.rss else {}, rec.rss[-1][1] if rec.rss else {}
    span_min = (rec.rss[-1][0] - rec.rss[0][0]) / 60 if len(rec.rss) > 1 else 1.0
    return {
        "capture": {
            "turns_indexed": len(rec.capture),
            "errors": rec.capture_errors,
            "sent_rate": len(rec.capture) / end,
            # Until the last turn was indexed: below the sent rate when the pipeline fell behind.
            "indexed_rate": len(rec.capture) / max(at + ms / 1000 for at, ms in rec.capture) if rec.capture else 0.0,
            "drained_s_after_last_send": max(at + ms / 1000 for at, ms in rec.capture) - end if rec.capture else 0.0,
            "steady_p50_ms": percentile(steady_capture, 50),
            "steady_p99_ms": percentile(steady_capture, 99),
            "steady_max_ms": max(steady_capture),
        },
        "recall": {
            "answered": len(rec.recall),
            "errors": rec.recall_errors,
            "achieved_rate": len(rec.recall) / end,
            "steady_p50_ms": percentile(steady_recall, 50),
            "steady_p99_ms": percentile(steady_recall, 99),
        },
        "lag_max": {
            s: max((lag.get(s, 0) for _, lag in rec.lag), default=0) for s in {k for _, lag in rec.lag for k in lag}
        },
        "rss_mib_start": first_rss,
        "rss_mib_end": last_rss,
        "rss_total_mib_growth_per_minute": (sum(last_rss.values()) - sum(first_rss.values())) / span_min,
        "capture_windows": windows(rec.capture, end + 120),
        "recall_windows": windows(rec.recall, end),
        "lag": [{"t": t, **lag} for t, lag in rec.lag],
        "rss": [{"t": t, **rss} for t, rss in rec.rss],
    }


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    for ax, key, title in (
        (axes[0][0], "capture_windows", "capture -> recallable (ms)"),
        (axes[0][1], "recall_windows", "Recall latency (ms)"),
    ):
        rows = results[key]
        ax.plot([r["t"] for r in rows], [r["p50_ms"] for r in rows], label="p50")
        ax.plot([r["t"] for r in rows], [r["p99_ms"] for r in rows], label="p99")
        ax.set_title(title)
        ax.set_xlabel("seconds")
        ax.legend()
    lag = results["lag"]
    streams = sorted({k for row in lag for k in row if k != "t"})
    for stream in streams:
        axes[1][0].plot([r["t"] for r in lag], [r.get(stream, 0) for r in lag], label=stream)
    axes[1][0].set_title("consumer lag (pending + unacked messages)")
    axes[1][0].set_xlabel("seconds")
    axes[1][0].legend(fontsize=7)
    rss = results["rss"]
    for name in sorted({k for row in rss for k in row if k != "t"}):
        axes[1][1].plot([r["t"] for r in rss], [r.get(name, 0) for r in rss], label=name)
    axes[1][1].set_title("resident memory (MiB)")
    axes[1][1].set_xlabel("seconds")
    axes[1][1].legend(fontsize=7)
    args = results["args"]
    fig.suptitle(
        f"somnia up under load: {args['rate']:.0f} turns/s captured, {args['recall_rate']:.0f} recalls/s "
        f"over {args['callers']} connections, {args['minutes']:.0f} min, {results['cpus']} cores"
    )
    fig.tight_layout()
    fig.savefig(RESULTS / "load.png", dpi=110)


def report(results: dict[str, Any]) -> None:
    table = Table(title=f"Steady state (after the first {SETTLE_S:.0f} s)")
    for column in ("", "done", "errors", "rate /s (indexed, answered)", "p50 ms", "p99 ms"):
        table.add_column(column)
    c, r = results["capture"], results["recall"]
    table.add_row(
        "capture -> recallable", f"{c['turns_indexed']:,}", str(c["errors"]), f"{c['indexed_rate']:.1f}",
        f"{c['steady_p50_ms']:.0f}", f"{c['steady_p99_ms']:.0f}",
    )  # fmt: skip
    table.add_row(
        "Recall", f"{r['answered']:,}", str(r["errors"]), f"{r['achieved_rate']:.1f}",
        f"{r['steady_p50_ms']:.0f}", f"{r['steady_p99_ms']:.0f}",
    )  # fmt: skip
    console.print(table)
    console.print(f"largest consumer lag by stream: {results['lag_max']}")
    console.print(
        f"resident memory: {sum(results['rss_mib_start'].values()):.0f} MiB at the start, "
        f"{sum(results['rss_mib_end'].values()):.0f} MiB at the end "
        f"({results['rss_total_mib_growth_per_minute']:+.1f} MiB a minute); plot in benchmarks/results/load.png"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=100.0, help="captured turns a second")
    parser.add_argument("--recall-rate", type=float, default=20.0, help="recalls a second")
    parser.add_argument("--callers", type=int, default=8, help="gRPC connections the recalls are spread over")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        supervisor, settings = start_somnia(Path(tmp) / "home", LOAD_AWARE_RERANK)
        try:
            rec = asyncio.run(run(settings, args.minutes, args.rate, args.recall_rate, args.callers))
        finally:
            supervisor.stop()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "args": vars(args),
        **summarize(rec, args),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results)
    report(results)


if __name__ == "__main__":
    main()
