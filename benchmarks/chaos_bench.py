"""Chaos: a 10,000-turn ingest through `somnia up` with a dream and a sweep running, while services and
nats-server are killed with SIGKILL at random moments, several times each. `somnia up` restarts them.
With --backends the services use a real Weaviate and Neo4j (started here on loopback, with a generated
key and password), and those are killed too; this harness restarts them as a cluster would.

Afterwards every accepted turn must be indexed exactly once (the store holds one memory per turn, no
more, no fewer: counted and compared by id) and linked exactly once (the graph holds each turn once,
with one memory), and no consumer may be left with pending or unacknowledged messages. The time each
victim took to serve again, and the time the backlog took to drain, are reported.

    uv run python benchmarks/chaos_bench.py [--turns 10000] [--kills 14] [--seed 7] [--backends]

Writes benchmarks/results/chaos.json (chaos-backends.json with --backends).
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
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console
from rich.table import Table
from skeleton_bench import cluster_env, start_somnia
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia_auth import open_channel, read_local_key
from somnia_backends import Neo4jServer, WeaviateServer
from somnia_cli.backlog import consumer_backlogs
from somnia_cli.nats_users import OPERATOR, nats_url
from somnia_cli.settings import CliSettings
from somnia_cli.supervisor import Supervisor, check_health
from somnia_contracts import archive_namespace, memory_id_for
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_memory_store import MemoryStoreSettings, open_memory_store

RESULTS = Path(__file__).parent / "results"
NS = "chaos/agent/user"
VICTIMS = ["capture", "embedding", "graph", "cache-warming", "forgetting", "recall", "nats-server"]
BACKENDS = ["weaviate", "neo4j"]
console = Console()


@dataclass
class Run:
    settings: CliSettings
    supervisor: Supervisor
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    accepted: set[tuple[str, str]] = field(default_factory=set)
    capture_retries: int = 0
    kills: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    backends: dict[str, WeaviateServer | Neo4jServer] = field(default_factory=dict)
    # Backends are restarted on this long-lived thread: a child is tied to the thread that spawned it
    # (PR_SET_PDEATHSIG), and the chaos thread ends before the run does.
    restarter: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1))


def supervise(run: Run) -> None:
    """`somnia up`'s loop: reap and restart whatever died."""
    while not run.stop.is_set():
        with run.lock:
            for event in run.supervisor.poll():
                console.print(f"[dim]{event}[/]")
        time.sleep(0.2)


def sessions_of(turns: int, per_session: int) -> dict[str, list[capture_pb2.Turn]]:
    start = datetime.now(UTC) - timedelta(days=1)
    topics = ["the kayak trip", "the Lisbon move", "the staging deploy", "the dentist", "the wedding toast"]
    sessions: dict[str, list[capture_pb2.Turn]] = {}
    for i in range(turns):
        session = f"c{i // per_session:04d}"
        turn = capture_pb2.Turn(
            turn_id=f"{session}-{i % per_session:03d}",
            role=capture_pb2.ROLE_USER if i % 2 == 0 else capture_pb2.ROLE_ASSISTANT,
            content=f"Turn {i}: a note about {topics[i % len(topics)]}, detail number {i * 7919 % 10007}.",
        )
        turn.occurred_at.FromDatetime(start + timedelta(seconds=i))
        sessions.setdefault(session, []).append(turn)
    return sessions


def ingest(run: Run, sessions: dict[str, list[capture_pb2.Turn]], batch: int, rate: float) -> None:
    """Capture every turn at about `rate` turns/s (so the kills land while it runs); on any failure, wait
    and send the same batch again (turn ids make that idempotent)."""
    token = read_local_key(run.settings.auth_dir)
    started, sent = time.monotonic(), 0
    for session, turns in sessions.items():
        for start in range(0, len(turns), batch):
            chunk = turns[start : start + batch]
            while True:
                try:
                    with open_channel(run.settings.capture_address, token=token) as channel:
                        capture_pb2_grpc.CaptureServiceStub(channel).Capture(
                            capture_pb2.CaptureRequest(namespace=NS, session_id=session, turns=chunk), timeout=10
                        )
                    break
                except grpc.RpcError:
                    run.capture_retries += 1
                    time.sleep(0.5)
            run.accepted.update((session, t.turn_id) for t in chunk)
            sent += len(chunk)
            time.sleep(max(0.0, started + sent / rate - time.monotonic()))


def victim_pid(run: Run, name: str) -> int | None:
    if name == "nats-server":
        process = run.supervisor.nats._process
        return process.pid if process is not None and process.poll() is None else None
    state = next(s for s in run.supervisor.services if s.spec.name == name)
    return state.process.pid if state.process is not None and state.process.poll() is None else None


def serving(run: Run, name: str) -> bool:
    if name in run.backends:
        # Serving again means every service reaches its stores again (readiness), not just alive.
        return all(
            check_health(run.settings.host, s.spec.port, timeout_s=0.5, service="readiness")
            for s in run.supervisor.services
        )
    if name == "nats-server":
        return run.supervisor.nats.exit_code() is None and run.supervisor.all_healthy()
    state = next(s for s in run.supervisor.services if s.spec.name == name)
    return state.process is not None and check_health(run.settings.host, state.spec.port, timeout_s=0.5)


def kill_backend(run: Run, name: str) -> None:
    """SIGKILL, then start it again on the same ports and data, as a cluster's restart policy would."""
    server = run.backends[name]
    server.kill()
    console.print(f"[red]kill -9 {name}[/]")
    run.restarter.submit(server.start).result()


def chaos(run: Run, kills: int, rng: random.Random) -> None:
    victims = VICTIMS + list(run.backends)
    order = [victims[i % len(victims)] for i in range(kills)]
    rng.shuffle(order)
    for name in order:
        time.sleep(rng.uniform(2.0, 6.0))
        if run.stop.is_set():
            return
        if name in run.backends:
            killed = time.monotonic()
            kill_backend(run, name)
            restarted = time.monotonic() - killed
            time.sleep(1.0)  # let the services notice before asking whether they are ready
            while not serving(run, name):
                time.sleep(0.2)
            recovered = time.monotonic() - killed
            run.kills.append({"victim": name, "restart_s": round(restarted, 2), "recovered_s": round(recovered, 2)})
            console.print(f"[green]{name} back after {restarted:.1f} s, every service ready after {recovered:.1f} s[/]")
            continue
        with run.lock:
            pid = victim_pid(run, name)
            if pid is None:
                continue
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        console.print(f"[red]kill -9 {name} (pid {pid})[/]")
        time.sleep(1.0)  # let the supervisor see it die before asking whether it serves
        while not serving(run, name):
            time.sleep(0.2)
        recovered = time.monotonic() - killed
        run.kills.append({"victim": name, "pid": pid, "recovered_s": round(recovered, 2)})
        console.print(f"[green]{name} serves again after {recovered:.1f} s[/]")


def background_job(run: Run, args: list[str]) -> None:
    """A dream or a sweep, run as a user would; a job cut short by a kill is asked again."""
    env = {
        **os.environ,
        "SOMNIA_HOME": str(run.settings.home),
        "SOMNIA_NAMESPACE": NS,
        "SOMNIA_NATS_PORT": str(run.settings.nats_port),
        "SOMNIA_CAPTURE_PORT": str(run.settings.capture_port),
        "SOMNIA_RECALL_PORT": str(run.settings.recall_port),
    }
    for attempt in range(1, 6):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "somnia_cli", *args], env=env, capture_output=True, text=True)
        run.jobs.append(
            {
                "job": args[0],
                "attempt": attempt,
                "exit": done.returncode,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
        if done.returncode == 0:
            return
        time.sleep(3)


async def backlog(url: str) -> tuple[int, int]:
    found = await consumer_backlogs(url)
    return sum(p for _, _, p, _ in found), sum(u for _, _, _, u in found)


async def verify(home: Path, accepted: set[tuple[str, str]]) -> dict[str, Any]:
    """Read what the services wrote, from whichever stores they used (the environment names them)."""
    store = open_memory_store(MemoryStoreSettings(data_dir=home / "store"))
    graph = open_graph_store(GraphStoreSettings(data_dir=home / "store"))
    expected = {memory_id_for(NS, s, t, 0): (s, t) for s, t in accepted}
    stored: list[str] = []
    for partition in (NS, archive_namespace(NS)):
        after = ""
        while True:
            page = await store.scan(partition, after=after, limit=2000)
            if not page:
                break
            stored += [r.memory_id for r in page if r.kind == "episodic" and r.session_id.startswith("c")]
            after = page[-1].memory_id
    per_turn: dict[tuple[str, str], int] = {}
    sessions = {s for s, _ in accepted}
    linked_turns, multiply_linked = 0, 0
    for session in sorted(sessions):
        turn_ids = await graph.session_turns(NS, session)
        linked_turns += len(turn_ids)
        for turn_id in turn_ids:
            memories = await graph.memories_of_turn(NS, session, turn_id)
            per_turn[(session, turn_id)] = len(memories)
            multiply_linked += len(memories) != 1
    await store.aclose()
    await graph.aclose()
    return {
        "accepted": len(accepted),
        "indexed": len(stored),
        "indexed_unique": len(set(stored)),
        "missing": len(set(expected) - set(stored)),
        "unexpected": len(set(stored) - set(expected)),
        "linked_turns": linked_turns,
        "turns_not_linked_once": multiply_linked + len(accepted) - len(per_turn),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--per-session", type=int, default=100)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--rate", type=float, default=120, help="turns/s offered to capture")
    parser.add_argument("--kills", type=int, help="SIGKILLs in all, spread over every victim (default: 2 each)")
    parser.add_argument("--backends", action="store_true", help="Weaviate + Neo4j, killed too")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drain-timeout-s", type=float, default=600)
    args = parser.parse_args()
    if args.kills is None:
        args.kills = 2 * (len(VICTIMS) + (len(BACKENDS) if args.backends else 0))
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        backends: dict[str, WeaviateServer | Neo4jServer] = {}
        env: dict[str, str] = {}
        if args.backends:
            weaviate = WeaviateServer(Path(tmp) / "weaviate").start()
            neo4j = Neo4jServer(Path(tmp) / "neo4j").start()
            backends = {"weaviate": weaviate, "neo4j": neo4j}
            env = cluster_env(weaviate, neo4j)
        try:
            supervisor, settings = start_somnia(home, env)
        except Exception:
            for server in backends.values():
                server.stop()
            raise
        run = Run(settings, supervisor, backends=backends)
        started = time.monotonic()
        threads = [
            threading.Thread(target=supervise, args=(run,), daemon=True),
            threading.Thread(target=chaos, args=(run, args.kills, rng), daemon=True),
        ]
        for thread in threads:
            thread.start()
        ingesting = threading.Thread(
            target=ingest, args=(run, sessions_of(args.turns, args.per_session), args.batch, args.rate)
        )
        ingesting.start()
        time.sleep(10)
        jobs = [
            threading.Thread(target=background_job, args=(run, ["dream", "--days", "2"])),
            threading.Thread(target=background_job, args=(run, ["sweep"])),
        ]
        for job in jobs:
            job.start()
        ingesting.join()
        ingest_s = time.monotonic() - started
        threads[1].join()  # every planned kill happened
        for job in jobs:
            job.join()
        console.print(f"ingest accepted {len(run.accepted):,} turns in {ingest_s:.0f} s; waiting for the backlog")
        drain_started = time.monotonic()
        operator_url = nats_url(settings.host, settings.nats_port, settings.auth_dir, OPERATOR)
        pending = (-1, -1)
        while time.monotonic() - drain_started < args.drain_timeout_s:
            try:
                pending = asyncio.run(backlog(operator_url))
            except Exception:  # NATS restarting
                pending = (-1, -1)
            if pending == (0, 0):
                break
            time.sleep(1.0)
        drain_s = time.monotonic() - drain_started
        time.sleep(2.0)  # acks land after the last commit
        run.stop.set()
        threads[0].join()
        with run.lock:
            supervisor.stop()
        checked = asyncio.run(verify(home, run.accepted))
        for server in backends.values():
            run.restarter.submit(server.stop).result()
        run.restarter.shutdown()
    recovery = [k["recovered_s"] for k in run.kills]
    results = {
        "parameters": vars(args),
        "stores": "weaviate + neo4j" if args.backends else "embedded",
        "ingest_s": round(ingest_s, 1),
        "capture_retries": run.capture_retries,
        "kills": run.kills,
        "recovery_s": {
            "median": round(statistics.median(recovery), 2) if recovery else None,
            "max": round(max(recovery), 2) if recovery else None,
        },
        "backlog_after_drain": {"pending": pending[0], "unacknowledged": pending[1]},
        "drain_s": round(drain_s, 1),
        "jobs": run.jobs,
        "verified": checked,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("chaos-backends.json" if args.backends else "chaos.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    table = Table(title=f"chaos ({results['stores']}): {args.turns:,} turns, {len(run.kills)} kills (seed {args.seed})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in checked.items():
        table.add_row(key, f"{value:,}")
    table.add_row("capture retries", f"{run.capture_retries:,}")
    table.add_row("recovery median / max (s)", f"{results['recovery_s']['median']} / {results['recovery_s']['max']}")
    table.add_row("backlog pending / unacked", f"{pending[0]} / {pending[1]}")
    table.add_row("drain (s)", f"{drain_s:.0f}")
    console.print(table)
    console.print(f"results: {out}")
    ok = (
        checked["missing"] == checked["unexpected"] == checked["turns_not_linked_once"] == 0
        and checked["indexed"] == checked["indexed_unique"] == checked["accepted"]
        and pending == (0, 0)
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
