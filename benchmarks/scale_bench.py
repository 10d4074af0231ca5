"""Recall at a million memories on the embedded store: one namespace of 1,000,000 and 1,000,000 over
1,000 namespaces, each through gRPC with `somnia up` (query embedding included), with the HNSW graph
and, as the baseline in the same run, with exact search (SOMNIA_STORE_ANN_THRESHOLD=0); the 100k
figure beside them; in-process vector-search latency and how much of exact search's top 10 the graph
finds; the recall process's memory. Then Weaviate, by default at 100,000 memories (one namespace, and
the same over namespaces of 1,000): a million there takes more disk and time than this machine has.

The fixture (cached in ~/.cache/somnia/bench/scale-*): a base of 50,000 synthetic sentences embedded for
real by the project's model, and composed memories made of two base sentences, "A B", whose vector is
the normalised sum of A's and B's. Embedding a million texts would take over an hour on two cores; a
mean-pooled sentence embedding of "A B" is close to that sum, and the run measures how close (the
cosine between the composed vector and the real embedding of "A B", over a sample). Queries are real
embeddings of questions the fixture never saw.

Usage: uv run python benchmarks/scale_bench.py [--memories 1000000] [--namespaces 1000] [--queries 300]
    [--parts vector,grpc,weaviate] [--weaviate-memories 100000] [--prepare] [--no-rerank]
Writes benchmarks/results/scale.json. `--prepare` builds the fixtures the chosen parts need and measures
nothing: a million memories in Weaviate take most of an hour, which can run while the machine is busy,
and the measurement later on a quiet one.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import asyncio
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel, read_local_key
from somnia_backends import WeaviateServer, install_weaviate
from somnia_cli.settings import CliSettings
from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
from somnia_memory_store import MemoryRecord, MemoryStore, MemoryStoreSettings, open_memory_store
from somnia_memory_store.embedded.ann import AnnConfig
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

sys.path.insert(0, str(Path(__file__).parent))
import synthetic
from skeleton_bench import children, percentile, rss_mib, start_somnia

CACHE = Path.home() / ".cache" / "somnia" / "bench"
RESULTS = Path(__file__).parent / "results"
BASE = 50_000
FIXTURE_VERSION = "v1"
console = Console()


def base_pool() -> tuple[list[str], np.ndarray]:
    """50,000 sentences and their real embeddings (cached)."""
    path = CACHE / f"scale-base-{BASE}.npy"
    texts = synthetic.texts(BASE, seed=4242)
    if path.exists():
        return texts, np.load(path)
    embedder = OnnxMiniLMEmbedder()
    vectors = np.zeros((BASE, embedder.dimension), dtype=np.float32)
    with Progress(console=console) as progress:
        task = progress.add_task(f"embedding the {BASE:,} base sentences (cached afterwards)", total=BASE)
        for start in range(0, BASE, 512):
            vectors[start : start + 512] = embedder.embed_sync(texts[start : start + 512])
            progress.advance(task, min(512, BASE - start))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return texts, vectors


def composed(i: int, texts: list[str], vectors: np.ndarray) -> tuple[str, np.ndarray]:
    """Memory i: a base sentence for i < BASE, then "A B" with the normalised sum of their vectors."""
    if i < BASE:
        return texts[i], vectors[i]
    rng = random.Random(i)
    a, b = rng.randrange(BASE), rng.randrange(BASE)
    v = vectors[a] + vectors[b]
    return f"{texts[a]} {texts[b]}", (v / np.linalg.norm(v)).astype(np.float32)


def fidelity(texts: list[str], vectors: np.ndarray, sample: int = 300) -> dict[str, float]:
    """How close a composed vector is to the real embedding of its text."""
    embedder = OnnxMiniLMEmbedder()
    picks = [composed(BASE + i * 7919, texts, vectors) for i in range(sample)]
    real = embedder.embed_sync([t for t, _ in picks])
    cosines = [float(np.dot(r, v)) for r, (_, v) in zip(real, picks, strict=True)]
    return {"samples": sample, "cosine_mean": statistics.mean(cosines), "cosine_min": min(cosines)}


async def write_memories(
    store: MemoryStore, namespaces: list[str], total: int, texts: list[str], vectors: np.ndarray
) -> None:
    """`total` memories spread evenly over `namespaces`, in batches of 5,000, with a progress bar."""
    per = total // len(namespaces)
    now = datetime.now(UTC)
    embedder = OnnxMiniLMEmbedder().name  # the name the services' embedder checks the store against
    with Progress(console=console) as progress:
        task = progress.add_task(f"writing {total:,} memories over {len(namespaces):,} namespace(s)", total=total)
        for n, namespace in enumerate(namespaces):
            for start in range(0, per, 5_000):
                batch = []
                for j in range(start, min(per, start + 5_000)):
                    text, vector = composed(n * per + j, texts, vectors)
                    batch.append(
                        MemoryRecord(
                            memory_id=f"scale-{n}-{j}",
                            namespace=namespace,
                            text=text,
                            session_id=f"s{j // 40}",
                            turn_id=f"t{j}",
                            role="user",
                            occurred_at=now,
                            recorded_at=now,
                            embedder=embedder,
                            vector=vector,
                        )
                    )
                await store.upsert(batch)
                progress.advance(task, len(batch))


def build_store(directory: Path, namespaces: list[str], total: int, texts: list[str], vectors: np.ndarray) -> Path:
    """The embedded store's fixture (cached); the graph of every namespace past the threshold is built
    and saved here too, so that the services load it instead of building it."""
    marker = directory / "complete"
    path = directory / "store" / "memories.sqlite3"
    if not marker.exists():
        shutil.rmtree(directory, ignore_errors=True)
        path.parent.mkdir(parents=True)

    async def write() -> None:
        store = EmbeddedMemoryStore(path)
        if not marker.exists():
            await write_memories(store, namespaces, total, texts, vectors)
            marker.touch()
        if total // len(namespaces) >= AnnConfig().threshold:
            # Loads the saved graph in seconds; builds and saves it when there is none (or an older format).
            console.print("loading, or building and saving, the HNSW graph")
            for namespace in namespaces:
                while not (state := await store.vector_index_state(namespace)).graph_rows or state.building:
                    await asyncio.sleep(1.0)
        await store.aclose()

    asyncio.run(write())
    return path


def weaviate_settings(server: WeaviateServer, collection: str) -> dict[str, str]:
    return {
        "SOMNIA_STORE_KIND": "weaviate",
        "SOMNIA_STORE_WEAVIATE_HTTP_PORT": str(server.http_port),
        "SOMNIA_STORE_WEAVIATE_GRPC_PORT": str(server.grpc_port),
        "SOMNIA_STORE_WEAVIATE_API_KEY": server.api_key,
        "SOMNIA_STORE_WEAVIATE_COLLECTION": collection,
    }


def build_weaviate(
    server: WeaviateServer, collection: str, namespaces: list[str], total: int, texts: list[str], vectors: np.ndarray
) -> None:
    """The same memories in a Weaviate collection (one tenant per namespace), cached in its data dir."""
    marker = server.data_dir / f"complete-{collection}"
    if marker.exists():
        return

    async def write() -> None:
        store = open_memory_store(
            MemoryStoreSettings(
                kind="weaviate",
                weaviate_http_port=server.http_port,
                weaviate_grpc_port=server.grpc_port,
                weaviate_api_key=server.api_key,
                weaviate_collection=collection,
            )
        )
        await write_memories(store, namespaces, total, texts, vectors)
        await store.aclose()

    asyncio.run(write())
    marker.touch()


def bench_in_process(path: Path, namespace: str, queries: np.ndarray) -> dict[str, float]:
    """Vector search alone, through the graph and exactly, on the same store and queries."""

    async def run() -> dict[str, float]:
        graph_store = EmbeddedMemoryStore(path)
        exact_store = EmbeddedMemoryStore(path, ann=AnnConfig(threshold=0))
        loaded = time.perf_counter()
        state = await graph_store.vector_index_state(namespace)
        load_s = time.perf_counter() - loaded
        await exact_store.vector_index_state(namespace)
        ann_ms, exact_ms, overlap = [], [], []
        for q in queries:
            start = time.perf_counter()
            approx = await graph_store.vector_search(namespace, q, 10)
            ann_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            exact = await exact_store.vector_search(namespace, q, 10)
            exact_ms.append((time.perf_counter() - start) * 1000)
            truth = {h.record.memory_id for h in exact}
            overlap.append(len(truth & {h.record.memory_id for h in approx}) / max(1, len(truth)))
        await graph_store.aclose()
        await exact_store.aclose()
        return {
            "rows": state.rows,
            "graph_rows": state.graph_rows,
            "index_load_s": load_s,
            "graph_p50_ms": percentile(ann_ms, 50),
            "graph_p99_ms": percentile(ann_ms, 99),
            "exact_p50_ms": percentile(exact_ms, 50),
            "exact_p99_ms": percentile(exact_ms, 99),
            "graph_recall_at_10": statistics.mean(overlap),
        }

    return asyncio.run(run())


def recall_pid() -> int:
    for pid in children(os.getpid()):
        if "somnia_recall" in Path(f"/proc/{pid}/cmdline").read_text():
            return pid
    raise RuntimeError("no recall process")


async def bench_grpc(
    settings: CliSettings, namespaces: list[str], questions: list[str], warmup: int
) -> dict[str, float]:
    """Recall over gRPC, each question to a namespace drawn in turn; the first `warmup` calls load the
    indexes and are not counted."""
    rng = random.Random(5)
    picks = [rng.choice(namespaces) for _ in questions]
    took = []
    async with open_aio_channel(settings.recall_address, token=read_local_key(settings.auth_dir)) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        for namespace in sorted(set(picks)) if len(namespaces) > 1 else []:
            await stub.Recall(recall_pb2.RecallRequest(namespace=namespace, query="warm up", k=10), timeout=120)
        for i, (q, namespace) in enumerate(zip(questions, picks, strict=True)):
            start = time.perf_counter()
            response = await stub.Recall(recall_pb2.RecallRequest(namespace=namespace, query=q, k=10), timeout=120)
            if i >= warmup:
                took.append((time.perf_counter() - start) * 1000)
            if len(response.items) != 10:
                raise RuntimeError(f"Recall returned {len(response.items)} items for {q!r} in {namespace}")
    return {"queries": len(took), "p50_ms": percentile(took, 50), "p99_ms": percentile(took, 99)}


def run_grpc(home: Path, namespaces: list[str], questions: list[str], env: dict[str, str]) -> dict[str, float]:
    supervisor, settings = start_somnia(home, env)
    try:
        result = asyncio.run(bench_grpc(settings, namespaces, questions, warmup=20))
        result["recall_rss_mib"] = rss_mib(recall_pid())
    finally:
        supervisor.stop()
        for key in env:
            os.environ.pop(key, None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=1_000_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-weaviate", dest="weaviate", action="store_false", help="embedded store only")
    parser.add_argument(
        "--weaviate-memories",
        type=int,
        default=100_000,
        help="Weaviate's fixture: one namespace of this many, then the same over namespaces of 1,000 "
        "(about 6.5 GB of disk and 40 minutes of import per million on 2 cores)",
    )
    parser.add_argument(
        "--parts",
        default="vector,grpc,weaviate",
        help="which parts to run (vector, grpc, weaviate); a partial run updates the results file",
    )
    parser.add_argument("--prepare", action="store_true", help="build the chosen parts' fixtures, measure nothing")
    parser.add_argument(
        "--no-rerank",
        dest="rerank",
        action="store_false",
        help="Recall without the cross-encoder (by default it reads every answer, tens of ms on 2 cores); "
        "the gRPC rows are then named ..._no_rerank",
    )
    args = parser.parse_args()
    args.parts = set(args.parts.split(","))
    suffix = "" if args.rerank else "_no_rerank"
    if not args.rerank:
        os.environ["SOMNIA_RERANKER_KIND"] = "off"  # the services `somnia up` starts inherit it
    if args.prepare:
        prepare(args)
        return
    previous = json.loads((RESULTS / "scale.json").read_text()) if (RESULTS / "scale.json").exists() else {}
    results: dict[str, object] = {
        **(previous if args.parts != {"vector", "grpc", "weaviate"} else {}),
        "when": datetime.now(UTC).isoformat(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "args": {**vars(args), "parts": sorted(args.parts)},
        "ann": vars(AnnConfig()),
    }
    texts, vectors = base_pool()
    console.print("[bold]1/4[/] how close a composed vector is to the real embedding of its text")
    results["fidelity"] = fidelity(texts, vectors)
    if args.parts & {"vector", "grpc"}:
        small, one, many = embedded_fixtures(args, texts, vectors)
    questions = synthetic.questions(args.queries + 20, seed=99)
    # The templates repeat questions; how well the graph finds exact search's neighbours is measured
    # over the distinct ones, so that one hard question does not count forty times.
    distinct = list(dict.fromkeys(questions))
    query_vectors = OnnxMiniLMEmbedder().embed_sync(distinct)

    if "vector" in args.parts:
        console.print(f"[bold]2/4[/] vector search alone, {len(distinct)} distinct questions: graph against exact")
        results["vector_search_100k"] = bench_in_process(small, ONE_NS[0], query_vectors)
        results["vector_search_1m"] = bench_in_process(one, ONE_NS[0], query_vectors)
        save(results)

    console.print("[bold]3/4[/] Recall over gRPC (query embedding included), graph then exact")
    exact = {"SOMNIA_STORE_ANN_THRESHOLD": "0"}
    many_ns = [f"bench/agent/u{i:04d}" for i in range(args.namespaces)]
    embedded_runs = (
        (("100k", small, ONE_NS), ("1m", one, ONE_NS), ("1m_1000ns", many, many_ns)) if "grpc" in args.parts else ()
    )
    for label, path, namespaces in embedded_runs:
        home = path.parent.parent
        console.print(f"  {label}: graph")
        results[f"recall_{label}{suffix}"] = run_grpc(home, namespaces, questions, {})
        if label != "1m_1000ns":  # 1,000 rows a namespace are below the threshold: exact either way
            console.print(f"  {label}: exact")
            results[f"recall_{label}_exact{suffix}"] = run_grpc(home, namespaces, questions, exact)

    save(results)
    if args.weaviate and "weaviate" in args.parts:
        w = args.weaviate_memories
        console.print(f"[bold]4/4[/] Weaviate at {w:,} memories (fixture cached in its data directory)")
        install_weaviate()
        server = WeaviateServer(CACHE / f"scale-weaviate-{w}-{FIXTURE_VERSION}").start()
        try:
            for _, collection, namespaces in weaviate_fixtures(w):
                build_weaviate(server, collection, namespaces, w, texts, vectors)
            for label, collection, namespaces in weaviate_fixtures(w):
                with tempfile.TemporaryDirectory() as tmp:
                    key = f"recall_weaviate_{w // 1000}k{label}{suffix}"
                    console.print(f"  {key}")
                    results[key] = run_grpc(Path(tmp), namespaces, questions, weaviate_settings(server, collection))
                    save(results)
        finally:
            server.stop()
    report(results)


ONE_NS = ["bench/agent/user"]


def embedded_fixtures(args: argparse.Namespace, texts: list[str], vectors: np.ndarray) -> tuple[Path, Path, Path]:
    """The embedded stores: 100,000 in one namespace, `--memories` in one, and over `--namespaces`."""
    many_ns = [f"bench/agent/u{i:04d}" for i in range(args.namespaces)]
    small = build_store(CACHE / f"scale-{BASE * 2}-1-{FIXTURE_VERSION}", ONE_NS, BASE * 2, texts, vectors)
    one = build_store(CACHE / f"scale-{args.memories}-1-{FIXTURE_VERSION}", ONE_NS, args.memories, texts, vectors)
    many = build_store(
        CACHE / f"scale-{args.memories}-{args.namespaces}-{FIXTURE_VERSION}", many_ns, args.memories, texts, vectors
    )
    return small, one, many


def weaviate_fixtures(memories: int) -> list[tuple[str, str, list[str]]]:
    """(result label, collection, namespaces): all in one namespace, then 1,000 a namespace."""
    spread = [f"bench/agent/u{i:04d}" for i in range(max(1, memories // 1_000))]
    return [("", "ScaleOne", ONE_NS), (f"_{len(spread)}ns", "ScaleMany", spread)]


def prepare(args: argparse.Namespace) -> None:
    """Build (or find cached) every fixture the chosen parts read; measure nothing."""
    texts, vectors = base_pool()
    if args.parts & {"vector", "grpc"}:
        embedded_fixtures(args, texts, vectors)
    if args.weaviate and "weaviate" in args.parts:
        w = args.weaviate_memories
        install_weaviate()
        server = WeaviateServer(CACHE / f"scale-weaviate-{w}-{FIXTURE_VERSION}").start()
        try:
            for _, collection, namespaces in weaviate_fixtures(w):
                console.print(f"Weaviate: {collection}, {w:,} memories over {len(namespaces):,} namespace(s)")
                build_weaviate(server, collection, namespaces, w, texts, vectors)
        finally:
            server.stop()
    console.print("fixtures ready")


def save(results: dict[str, object]) -> None:
    """Written after each part, so that a long run interrupted keeps what it measured."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2) + "\n")


def report(results: dict[str, object]) -> None:
    fid = results["fidelity"]
    assert isinstance(fid, dict)
    console.print(
        f"composed vectors against real embeddings: cosine mean {fid['cosine_mean']:.3f}, min {fid['cosine_min']:.3f}"
    )
    table = Table(title="Vector search alone (in process)")
    for column in ("memories", "graph p50/p99 ms", "exact p50/p99 ms", "graph finds of exact top 10", "index load s"):
        table.add_column(column)
    for label in ("100k", "1m"):
        r = results[f"vector_search_{label}"]
        assert isinstance(r, dict)
        table.add_row(
            f"{r['rows']:,}",
            f"{r['graph_p50_ms']:.2f} / {r['graph_p99_ms']:.2f}",
            f"{r['exact_p50_ms']:.2f} / {r['exact_p99_ms']:.2f}",
            f"{r['graph_recall_at_10']:.3f}",
            f"{r['index_load_s']:.1f}",
        )
    console.print(table)
    table = Table(title="Recall over gRPC, query embedding included")
    for column in ("store", "p50 ms", "p99 ms", "recall RSS MiB"):
        table.add_column(column)
    for key, value in results.items():
        if key.startswith("recall_") and isinstance(value, dict):
            table.add_row(key[7:], f"{value['p50_ms']:.1f}", f"{value['p99_ms']:.1f}", f"{value['recall_rss_mib']:.0f}")
    console.print(table)


if __name__ == "__main__":
    main()
