"""Benchmarks for the walking skeleton, all in one run on this machine:

1. raw embedder throughput (the baseline) vs end-to-end ingest throughput (gRPC Capture → JetStream →
   embedding → SQLite, until every turn is durable);
   - once with the graph service doing only what it did before entities (no extraction, no SIMILAR_TO),
     then as configured, and each until indexed and until linked in the graph;
2. capture → recallable latency while ingesting at a steady rate (default 100 turns/s);
3. Recall latency (client-side, gRPC, query embedding included) with 100,000 memories in one namespace,
   graph expansion on and off, next to the query-embedding time alone; then the warm pack's build time
   (WarmCache with rebuild) over the same memories;
4. resident memory of `somnia up` (supervisor, NATS and every service) when idle.

Prints a table and writes benchmarks/results/skeleton.json. Usage:
    uv run python benchmarks/skeleton_bench.py [--memories 100000] [--ingest 2000] [--rate 100]
The 100k-memory store is built once (real embeddings, a few minutes) and cached in ~/.cache/somnia/bench.
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nats
import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key
from somnia_backends import Neo4jServer, WeaviateServer
from somnia_cli.nats_users import OPERATOR, nats_url
from somnia_cli.settings import CliSettings
from somnia_cli.supervisor import Supervisor, check_health
from somnia_contracts import memory_id_for
from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import free_port
from somnia_retrieval import RankingSettings

sys.path.insert(0, str(Path(__file__).parent))
import synthetic

NS = "bench/agent/user"
RESULTS = Path(__file__).parent / "results"
console = Console()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cluster_env(weaviate: WeaviateServer, neo4j: Neo4jServer) -> dict[str, str]:
    """The settings that put every service of `somnia up` on this Weaviate and this Neo4j."""
    return {
        "SOMNIA_STORE_KIND": "weaviate",
        "SOMNIA_STORE_WEAVIATE_HTTP_PORT": str(weaviate.http_port),
        "SOMNIA_STORE_WEAVIATE_GRPC_PORT": str(weaviate.grpc_port),
        "SOMNIA_STORE_WEAVIATE_API_KEY": weaviate.api_key,
        "SOMNIA_GRAPH_KIND": "neo4j",
        "SOMNIA_GRAPH_NEO4J_URI": neo4j.uri,
        "SOMNIA_GRAPH_NEO4J_PASSWORD": neo4j.password,
    }


# Recall's own default: the cross-encoder reads only while its threads get a core (the load benchmarks).
LOAD_AWARE_RERANK = {
    "SOMNIA_RANKING_RERANK_MAX_CPU_WAIT": str(RankingSettings.model_fields["rerank_max_cpu_wait"].default),
    "SOMNIA_RANKING_RERANK_TIMEOUT_S": str(RankingSettings.model_fields["rerank_timeout_s"].default),
}
# Quality runs: the cross-encoder reads every answer, however busy the machine (see start_somnia).
QUALITY_RERANK = {"SOMNIA_RANKING_RERANK_MAX_CPU_WAIT": "1", "SOMNIA_RANKING_RERANK_TIMEOUT_S": "10"}


def start_somnia(home: Path, env: dict[str, str] | None = None) -> tuple[Supervisor, CliSettings]:
    """`somnia up` on free ports; `env` overrides service settings (the services inherit os.environ).
    Recall does not record uses here: a benchmark's queries would otherwise strengthen what they find
    and change the ranking of the questions after them. And the cross-encoder reads whatever the load
    and however long it takes (it would otherwise skip answers while the services still link what was
    just imported, or while another process takes the cores), so a quality figure does not depend on
    what else the machine does; the load benchmarks set both back (LOAD_AWARE_RERANK)."""
    os.environ.update({"SOMNIA_RECALL_RECORD_USES": "false", **QUALITY_RERANK, **(env or {})})
    settings = CliSettings(
        home=home,
        nats_port=free_port(),
        nats_monitor_port=free_port(),
        capture_port=free_port(),
        recall_port=free_port(),
        embedding_health_port=free_port(),
        graph_health_port=free_port(),
        cache_warming_health_port=free_port(),
        forgetting_health_port=free_port(),
        dreaming_health_port=free_port(),
    )
    supervisor = Supervisor(settings)
    supervisor.start()
    deadline = time.monotonic() + 120
    while not supervisor.all_healthy():
        if time.monotonic() > deadline:
            supervisor.stop()
            raise RuntimeError(f"somnia did not become healthy; see {home / 'logs'}")
        supervisor.poll()
        time.sleep(0.3)
    return supervisor, settings


def bench_raw_embedder(texts: list[str], runs: int) -> dict[str, float]:
    embedder = OnnxMiniLMEmbedder()
    embedder.embed_sync(texts[:64])  # warm-up
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(0, len(texts), 64):
            embedder.embed_sync(texts[i : i + 64])
        rates.append(len(texts) / (time.perf_counter() - start))
    return {"texts_per_s_median": statistics.median(rates), "runs": runs}


def turn(i: int, text: str) -> capture_pb2.Turn:
    return capture_pb2.Turn(turn_id=f"b{i}", role=capture_pb2.ROLE_USER, content=text)


async def bench_ingest_send(settings: CliSettings, texts: list[str]) -> float:
    """Send every text as turns, 20 requests of 100 at once; returns the seconds capture took."""
    start = time.perf_counter()
    async with open_aio_channel(settings.capture_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        batch = 100
        sends = [
            stub.Capture(
                capture_pb2.CaptureRequest(
                    namespace=NS,
                    session_id=f"ingest-{i // 500}",
                    turns=[turn(j, texts[j]) for j in range(i, min(i + batch, len(texts)))],
                )
            )
            for i in range(0, len(texts), batch)
        ]
        await asyncio.gather(*sends)
    return time.perf_counter() - start


async def bench_ingest(settings: CliSettings, store_dir: Path, texts: list[str]) -> dict[str, float]:
    """Turns/s until every turn is durable in the vector store (indexed), and until the graph service
    has linked every memory too (its entities, SIMILAR_TO edges and all)."""
    from somnia_graph_store.embedded.store import EmbeddedGraphStore

    store = EmbeddedMemoryStore(store_dir / "memories.sqlite3")
    graph = EmbeddedGraphStore(store_dir / "graph.sqlite3")
    start = time.perf_counter()
    captured = await bench_ingest_send(settings, texts)
    while (n := await store.count(NS)) < len(texts):
        await asyncio.sleep(0.05)
    indexed = time.perf_counter() - start
    while await graph.count(NS, "Memory") < len(texts):
        await asyncio.sleep(0.05)
    linked = time.perf_counter() - start
    await store.aclose()
    await graph.aclose()
    return {
        "turns": n,
        "seconds": indexed,
        "turns_per_s": n / indexed,
        "linked_seconds": linked,
        "linked_turns_per_s": n / linked,
        "capture_seconds": captured,
    }


async def bench_latency(settings: CliSettings, texts: list[str], rate: float, offset: int) -> dict[str, float]:
    """Send one turn every 1/rate s; latency = memory.indexed arrival (written durably) - send."""
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()
    client = await nats.connect(nats_url(settings.host, settings.nats_port, settings.auth_dir, OPERATOR))

    async def on_indexed(msg: nats.aio.msg.Msg) -> None:
        turn_id = json.loads(msg.data)["turn_id"]
        if turn_id in sent:
            latencies.append(time.perf_counter() - sent.pop(turn_id))
            if len(latencies) == len(texts):
                done.set()

    await client.subscribe("somnia.v1.memory.indexed.>", cb=on_indexed)
    async with open_aio_channel(settings.capture_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        start = time.perf_counter()
        calls = []
        for i, text in enumerate(texts):
            target = start + i / rate
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            turn_id = f"b{offset + i}"
            sent[turn_id] = time.perf_counter()
            calls.append(
                asyncio.ensure_future(
                    stub.Capture(
                        capture_pb2.CaptureRequest(namespace=NS, session_id="latency", turns=[turn(offset + i, text)])
                    )
                )
            )
        achieved = len(texts) / (time.perf_counter() - start)
        await asyncio.gather(*calls)
        await asyncio.wait_for(done.wait(), timeout=60)
    await client.close()
    ms = [x * 1000 for x in latencies]
    return {
        "turns": len(ms),
        "target_rate": rate,
        "achieved_rate": achieved,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms),
    }


def build_graph(store_dir: Path) -> None:
    """The graph of the cached memories as the graph service would write it: sessions of 40 turns run
    by one agent, NEXT chains, memories, and the entities the offline extractor finds in each turn.
    (SIMILAR_TO edges are left out: a nearest-neighbour search per memory would take longer than the
    rest of the build, and Recall reads them with one indexed lookup per seed either way.)"""
    import sqlite3

    from somnia_extraction import OfflineExtractor
    from somnia_graph_store import MemoryNode, Mention, SessionNode, TurnNode
    from somnia_graph_store.embedded.store import EmbeddedGraphStore

    rows = (
        sqlite3.connect(store_dir / "memories.sqlite3")
        .execute(
            "SELECT session_id, turn_id, occurred_at, memory_id, text FROM memory WHERE namespace = ? ORDER BY rowid",
            (NS,),
        )
        .fetchall()
    )
    (store_dir / "graph.sqlite3").unlink(missing_ok=True)
    graph = EmbeddedGraphStore(store_dir / "graph.sqlite3")
    extractor = OfflineExtractor()

    async def write() -> None:
        await graph.ensure_schema()
        sessions = sorted({s for s, *_ in rows})
        await graph.upsert_sessions(
            [SessionNode(namespace=NS, session_id=s, agent="bench", started_at=datetime.now(UTC)) for s in sessions]
        )
        with Progress(console=console) as progress:
            task = progress.add_task(
                f"linking {len(rows):,} memories (entities extracted; cached afterwards)", total=len(rows)
            )
            for start in range(0, len(rows), 2000):
                chunk = rows[start : start + 2000]
                times = [datetime.fromtimestamp(at, tz=UTC) for _, _, at, _, _ in chunk]
                await graph.upsert_turns(
                    [
                        TurnNode(namespace=NS, session_id=s, turn_id=t, role="user", occurred_at=at, sequence=start + i)
                        for i, ((s, t, _, _, _), at) in enumerate(zip(chunk, times, strict=True))
                    ]
                )
                await graph.upsert_memories(
                    [MemoryNode(namespace=NS, session_id=s, turn_id=t, memory_id=m) for s, t, _, m, _ in chunk]
                )
                found = extractor.extract_sync([text for *_, text in chunk], times)
                await graph.upsert_mentions(
                    [
                        Mention(namespace=NS, session_id=s, turn_id=t, entity_key=e.key, name=e.name, kind=e.kind)
                        for (s, t, _, _, _), extraction in zip(chunk, found, strict=True)
                        for e in extraction.entities
                    ]
                )
                progress.advance(task, len(chunk))
        await graph.aclose()

    asyncio.run(write())


def build_store(path: Path, count: int) -> None:
    """Real embeddings of `count` synthetic memories, written straight into the store (cached)."""
    embedder = OnnxMiniLMEmbedder()
    store = EmbeddedMemoryStore(path)
    texts = synthetic.texts(count, seed=1234)
    now = datetime.now(UTC)

    async def write(records: list[MemoryRecord]) -> None:
        await store.upsert(records)

    with Progress(console=console) as progress:
        task = progress.add_task(f"embedding {count:,} memories (cached afterwards)", total=count)
        for start in range(0, count, 512):
            chunk = texts[start : start + 512]
            vectors = embedder.embed_sync(chunk)
            asyncio.run(
                write(
                    [
                        MemoryRecord(
                            # The pipeline's own ids, so the graph and the warm pack find each turn's memory.
                            memory_id=memory_id_for(NS, f"s{(start + i) // 40}", f"big-{start + i}", 0),
                            namespace=NS,
                            text=t,
                            session_id=f"s{(start + i) // 40}",
                            turn_id=f"big-{start + i}",
                            role="user",
                            occurred_at=now,
                            recorded_at=now,
                            embedder=embedder.name,
                            vector=vectors[i],
                        )
                        for i, t in enumerate(chunk)
                    ]
                )
            )
            progress.advance(task, len(chunk))
    asyncio.run(store.aclose())


def cached_fixture(memories: int) -> Path:
    """A home whose store holds `memories` real-embedded synthetic memories and their graph: built once
    (with progress bars), then reused from ~/.cache/somnia/bench."""
    cache = Path.home() / ".cache" / "somnia" / "bench" / f"store-{memories}-v2"
    if not (cache / "store" / "memories.sqlite3").exists() or not (cache / "complete").exists():
        (cache / "store").mkdir(parents=True, exist_ok=True)
        build_store(cache / "store" / "memories.sqlite3", memories)
        (cache / "complete").touch()
    if not (cache / "graph-complete").exists():
        build_graph(cache / "store")
        (cache / "graph-complete").touch()
    return cache


async def bench_recall(
    settings: CliSettings, queries: list[str], warmup: int, expand_graph: bool = True
) -> dict[str, float]:
    embedder = OnnxMiniLMEmbedder(threads=1)
    embed_ms = []
    for q in queries:
        start = time.perf_counter()
        embedder.embed_sync([q])
        embed_ms.append((time.perf_counter() - start) * 1000)
    recall_ms = []
    async with open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        for i, q in enumerate(queries):
            start = time.perf_counter()
            response = await stub.Recall(
                recall_pb2.RecallRequest(namespace=NS, query=q, k=10, expand_graph=expand_graph)
            )
            if i >= warmup:
                recall_ms.append((time.perf_counter() - start) * 1000)
            assert len(response.items) == 10
    return {
        "queries": len(recall_ms),
        "p50_ms": percentile(recall_ms, 50),
        "p95_ms": percentile(recall_ms, 95),
        "p99_ms": percentile(recall_ms, 99),
        "embed_only_p50_ms": percentile(embed_ms[warmup:], 50),
        "embed_only_p99_ms": percentile(embed_ms[warmup:], 99),
    }


async def bench_warm(settings: CliSettings, openings: list[str], warmup: int) -> dict[str, float]:
    """WarmCache with rebuild=True: a full four-layer pack built from the 100k memories every call.
    build_ms is the server's own build time; client_ms adds gRPC and the pack's transfer."""
    build_ms, client_ms, tokens = [], [], []
    async with open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        for i, opening in enumerate(openings):
            start = time.perf_counter()
            pack = await stub.WarmCache(
                recall_pb2.WarmCacheRequest(
                    namespace=NS, session_id=f"warm-{i}", agent="bench", opening=opening, rebuild=True
                )
            )
            if i >= warmup:
                client_ms.append((time.perf_counter() - start) * 1000)
                build_ms.append(pack.build_ms)
                tokens.append(pack.token_count)
    return {
        "packs": len(build_ms),
        "build_p50_ms": percentile(build_ms, 50),
        "build_p99_ms": percentile(build_ms, 99),
        "client_p50_ms": percentile(client_ms, 50),
        "client_p99_ms": percentile(client_ms, 99),
        "tokens_median": percentile(tokens, 50),
    }


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:  # the process ended meanwhile
        return found
    for task in tasks:
        try:
            listed = (task / "children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):  # the thread or process ended meanwhile
            continue
        for child in listed:
            found += [int(child), *children(int(child))]
    return found


def idle_memory(home: Path, settle_s: float) -> dict[str, float]:
    """Run `somnia up` exactly as a user does and add up the RSS of it and every child once idle."""
    ports = {
        k: str(free_port())
        for k in (
            "NATS_PORT",
            "NATS_MONITOR_PORT",
            "CAPTURE_PORT",
            "RECALL_PORT",
            "EMBEDDING_HEALTH_PORT",
            "GRAPH_HEALTH_PORT",
            "CACHE_WARMING_HEALTH_PORT",
            "FORGETTING_HEALTH_PORT",
            "DREAMING_HEALTH_PORT",
        )
    }
    env = {**os.environ, "SOMNIA_HOME": str(home), **{f"SOMNIA_{k}": v for k, v in ports.items()}}
    process = subprocess.Popen(
        [sys.executable, "-m", "somnia_cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        health_ports = [int(v) for k, v in ports.items() if k.endswith("_PORT") and "NATS" not in k]
        while not all(check_health("127.0.0.1", p) for p in health_ports):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("somnia up did not become healthy")
            time.sleep(0.3)
        time.sleep(settle_s)
        parts = {"somnia up": rss_mib(process.pid)}
        for pid in children(process.pid):
            name = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split()
            label = next((w for w in name if w.startswith("somnia_")), Path(name[0]).name)
            parts[label] = rss_mib(pid)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
    return {**{f"{k}_mib": v for k, v in parts.items()}, "total_mib": sum(parts.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--ingest", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--packs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    results: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "args": vars(args),
    }
    texts = synthetic.texts(args.ingest + int(args.rate * args.latency_seconds))
    ingest_texts, latency_texts = texts[: args.ingest], texts[args.ingest :]

    console.print("[bold]1/4[/] raw embedder throughput (baseline)")
    results["raw_embedder"] = raw = bench_raw_embedder(ingest_texts, args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        console.print("[bold]2/4[/] idle memory of somnia up")
        results["idle_memory"] = idle_memory(Path(tmp) / "idle", settle_s=10)
        console.print(f"[bold]3/4[/] end-to-end ingest of {args.ingest} turns, without then with the new graph work")
        # The same graph service without entity extraction and SIMILAR_TO: the figure before this work.
        before = {"SOMNIA_GRAPH_SERVICE_EXTRACT_ENTITIES": "false", "SOMNIA_GRAPH_SERVICE_SIMILAR_TOP": "0"}
        supervisor, settings = start_somnia(Path(tmp) / "before", before)
        try:
            results["ingest_without_entities"] = plain = asyncio.run(
                bench_ingest(settings, Path(tmp) / "before" / "store", ingest_texts)
            )
            plain["ratio_to_raw_embedder"] = plain["turns_per_s"] / raw["texts_per_s_median"]
        finally:
            supervisor.stop()
            for key in before:
                os.environ.pop(key)
        home = Path(tmp) / "home"
        supervisor, settings = start_somnia(home)
        try:
            results["ingest"] = ingest = asyncio.run(bench_ingest(settings, home / "store", ingest_texts))
            ingest["ratio_to_raw_embedder"] = ingest["turns_per_s"] / raw["texts_per_s_median"]
            console.print(f"capture -> recallable latency at {args.rate}/s")
            results["latency"] = asyncio.run(bench_latency(settings, latency_texts, args.rate, args.ingest))
        finally:
            supervisor.stop()

    console.print(f"[bold]4/4[/] Recall over {args.memories:,} memories in one namespace")
    cache = cached_fixture(args.memories)
    supervisor, settings = start_somnia(cache)
    try:
        questions = synthetic.questions(args.queries + 20)
        results["recall"] = asyncio.run(bench_recall(settings, questions, warmup=20))
        results["recall_without_graph"] = asyncio.run(bench_recall(settings, questions, warmup=20, expand_graph=False))
        console.print(f"warm packs over {args.memories:,} memories")
        results["warm_pack"] = asyncio.run(bench_warm(settings, synthetic.questions(args.packs + 10)[::-1], warmup=10))
    finally:
        supervisor.stop()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "skeleton.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(results: dict[str, object]) -> None:
    raw, ingest, plain, latency, recall, warm, memory = (
        results[k]
        for k in ("raw_embedder", "ingest", "ingest_without_entities", "latency", "recall", "warm_pack", "idle_memory")
    )
    assert isinstance(raw, dict) and isinstance(ingest, dict) and isinstance(latency, dict)
    assert isinstance(recall, dict) and isinstance(memory, dict) and isinstance(plain, dict)
    assert isinstance(warm, dict)
    table = Table(title="Somnia skeleton benchmarks (this machine, one run)")
    for column in ("measure", "figure", "target", "met"):
        table.add_column(column)
    rows = [
        (
            "raw embedder (baseline)",
            f"{raw['texts_per_s_median']:.0f} texts/s (median of {raw['runs']})",
            "",
            "",
        ),
        (
            "end-to-end ingest (indexed)",
            f"{ingest['turns_per_s']:.0f} turns/s = {ingest['ratio_to_raw_embedder']:.2f}x raw",
            ">= 0.9x",
            ingest["ratio_to_raw_embedder"] >= 0.9,
        ),
        ("  same, until linked in the graph", f"{ingest['linked_turns_per_s']:.0f} turns/s", "", ""),
        (
            "  before: no entities, no SIMILAR_TO",
            f"{plain['turns_per_s']:.0f} turns/s indexed = {plain['ratio_to_raw_embedder']:.2f}x raw; "
            f"{plain['linked_turns_per_s']:.0f} turns/s linked",
            "",
            "",
        ),
        (
            "capture->recallable p50/p99",
            f"{latency['p50_ms']:.0f} / {latency['p99_ms']:.0f} ms at {latency['achieved_rate']:.0f} turns/s",
            "p99 <= 1000 ms",
            latency["p99_ms"] <= 1000,
        ),
        (
            f"Recall p50/p99 ({results['args']['memories']:,} memories)",  # type: ignore[index]
            f"{recall['p50_ms']:.1f} / {recall['p99_ms']:.1f} ms (embed alone p99 {recall['embed_only_p99_ms']:.1f})",
            "p99 <= 50 ms",
            recall["p99_ms"] <= 50,
        ),
        (
            "  same, graph expansion off",
            f"{results['recall_without_graph']['p50_ms']:.1f} / "  # type: ignore[index]
            f"{results['recall_without_graph']['p99_ms']:.1f} ms",  # type: ignore[index]
            "",
            "",
        ),
        (
            "warm pack build p50/p99 (server)",
            f"{warm['build_p50_ms']:.1f} / {warm['build_p99_ms']:.1f} ms "
            f"(client {warm['client_p50_ms']:.1f} / {warm['client_p99_ms']:.1f} ms, "
            f"{warm['tokens_median']:.0f} tokens)",
            "p99 <= 100 ms",
            warm["build_p99_ms"] <= 100,
        ),
        ("somnia up idle RSS", f"{memory['total_mib']:.0f} MiB", "<= 1536 MiB", memory["total_mib"] <= 1536),
    ]
    for measure, figure, target, met in rows:
        table.add_row(measure, figure, target, "" if met == "" else ("[green]yes[/]" if met else "[red]no[/]"))
    console.print(table)
    console.print(f"results: {RESULTS / 'skeleton.json'}")


if __name__ == "__main__":
    main()
