"""Switching the embedder of a 100,000-memory store: how long `somnia reindex` takes, and whether search
keeps answering while it runs.

The store is the one skeleton_bench.py builds and caches (100,000 memories embedded with
all-MiniLM-L6-v2); a copy of it is reindexed to bge-small-en-v1.5 by somnia_stores.reindex, as
`somnia reindex --embedder onnx-bge-small` does. Beside it, a second store handle (as another process
holds one) asks a question every 50 ms through an embedder that follows the store (as Recall's does),
and counts answers, empty answers and errors, with their latency, before and after the swap. A third
handle captures a memory every 200 ms throughout, as the embedding service would (a refused write is
tried again half a second later, as a redelivery), and every captured memory is looked up after.

With `--store weaviate` the same memories (vectors included) are first imported into a new collection
of a Weaviate started for the run, and the reindex builds another collection beside it and switches.

Writes benchmarks/results/reindex.json (reindex_weaviate.json). Usage:
    uv run python benchmarks/reindex_bench.py [--store weaviate] [--memories-from ~/.cache/somnia/bench/store-100000-v2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from somnia_embedder import EmbedderError
from somnia_memory_store import MemoryRecord, StoreError
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

sys.path.insert(0, str(Path(__file__).parent))

console = Console(width=140)
Opener = Callable[[], Any]
RESULTS = Path(__file__).parent / "results"
CACHE = Path.home() / ".cache" / "somnia" / "bench" / "store-100000-v2"
QUESTIONS = [
    "what went wrong with the deploy?",
    "where is the wedding?",
    "which database do we use?",
    "what did the doctor say?",
    "when is the next trip?",
]


PROGRESS_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
    TimeRemainingColumn(),
)


async def imported_into_weaviate(source: EmbeddedMemoryStore, server: Any, namespaces: list[str]) -> Opener:
    """The cached store's memories, vectors and all, in a new collection; returns how to open clients."""
    from somnia_memory_store import scan_all
    from somnia_memory_store.weaviate.store import WeaviateMemoryStore

    def opener() -> WeaviateMemoryStore:
        return WeaviateMemoryStore(
            http_host=server.host,
            http_port=server.http_port,
            grpc_host=server.host,
            grpc_port=server.grpc_port,
            collection="ReindexBench",
            api_key=server.api_key,
        )

    store = opener()
    total = sum([await source.count(n) for n in namespaces])
    with Progress(*PROGRESS_COLUMNS, console=console) as progress:
        task = progress.add_task("importing into Weaviate", total=total)
        for namespace in namespaces:
            page: list[Any] = []
            async for record in scan_all(source, namespace):
                page.append(record)
                if len(page) == 1000:
                    await store.upsert(page)
                    progress.advance(task, len(page))
                    page = []
            if page:
                await store.upsert(page)
                progress.advance(task, len(page))
    await store.aclose()
    return opener


async def run(source: Path, batch: int, kind: str) -> dict[str, Any]:
    from somnia_embedder import EmbedderSettings, create_embedder
    from somnia_stores import FollowingEmbedder, reindex

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        path = Path(tmp) / "memories.sqlite3"
        shutil.copy(source / "store" / "memories.sqlite3", path)
        writer: Any = EmbeddedMemoryStore(path)
        reader: Any = EmbeddedMemoryStore(path)
        namespaces = [n for (n,) in reader._conn.execute("SELECT DISTINCT namespace FROM memory")]
        capturer: Any = EmbeddedMemoryStore(path)
        if kind == "weaviate":
            from somnia_backends import WeaviateServer

            server = WeaviateServer(Path(tmp) / "weaviate").start()
            stack.callback(server.stop)
            opener = await imported_into_weaviate(writer, server, namespaces)
            for closing in (writer, reader, capturer):
                await closing.aclose()
            writer, reader, capturer = opener(), opener(), opener()
        # A third client captures a memory every 200 ms throughout, as the embedding service does: with a
        # store-following embedder, and a refused write tried again half a second later (a redelivery).
        capture_embedder = FollowingEmbedder(await create_embedder(EmbedderSettings()), capturer, EmbedderSettings())
        captured: list[str] = []
        refusals: list[float] = []  # when a write was refused
        follower = FollowingEmbedder(await create_embedder(EmbedderSettings()), reader, EmbedderSettings())
        target = await create_embedder(EmbedderSettings(kind="onnx-bge-small"))
        samples: list[tuple[float, float, str, int]] = []  # (when, ms, model, hits)
        errors: list[str] = []
        done = asyncio.Event()

        async def ask() -> None:
            i = 0
            while not done.is_set():
                started = time.perf_counter()
                try:
                    (vector,) = await follower.embed([QUESTIONS[i % len(QUESTIONS)]])
                    hits = await reader.vector_search(namespaces[i % len(namespaces)], vector, 10)
                    samples.append(
                        (time.perf_counter(), (time.perf_counter() - started) * 1000, follower.name, len(hits))
                    )
                except Exception as exc:  # counted, never hidden
                    errors.append(repr(exc))
                i += 1
                await asyncio.sleep(0.05)

        async def capture() -> None:
            n = 0
            while not done.is_set():
                memory_id = f"reindex-bench-{n}"
                text = f"Captured during the reindex, note {n}: the {QUESTIONS[n % len(QUESTIONS)][5:-1]}."
                while True:
                    try:
                        model = capture_embedder.name
                        (vector,) = await capture_embedder.embed([text])
                        if capture_embedder.name != model:
                            continue  # the store switched models while this was embedded: embed again
                        now = datetime.now(UTC)
                        await capturer.upsert(
                            [
                                MemoryRecord(
                                    memory_id=memory_id,
                                    namespace=namespaces[0],
                                    text=text,
                                    session_id="reindex-bench",
                                    turn_id=memory_id,
                                    role="user",
                                    occurred_at=now,
                                    recorded_at=now,
                                    embedder=capture_embedder.name,
                                    vector=vector,
                                )
                            ]
                        )
                        break
                    except (StoreError, EmbedderError):  # sealed, or the model changed: as a redelivery would
                        refusals.append(time.perf_counter())
                        await asyncio.sleep(0.5)
                captured.append(memory_id)
                n += 1
                await asyncio.sleep(0.2)

        asker = asyncio.create_task(ask())
        capturing = asyncio.create_task(capture())
        started = time.perf_counter()
        with Progress(*PROGRESS_COLUMNS, console=console) as progress:
            task = progress.add_task(f"re-embedding with {target.name}", total=None)
            result = await reindex(
                writer,
                target,
                batch=batch,
                on_progress=lambda p: progress.update(task, total=p.total, completed=p.done),
            )
        swapped_at = time.perf_counter()
        await asyncio.sleep(3.0)  # the reader answers after the swap, with the new model
        done.set()
        await asker
        await capturing
        found = {r.memory_id for r in await reader.get(namespaces[0], captured)}
        kept_models = {r.embedder for r in await reader.get(namespaces[0], captured)}
        for closing in (follower, target, capture_embedder):
            await closing.aclose()
        for closing in (reader, writer, capturer):
            await closing.aclose()
    during = [s for s in samples if s[0] <= swapped_at]
    after = [s for s in samples if s[0] > swapped_at]

    def latency(rows: list[tuple[float, float, str, int]]) -> dict[str, float]:
        ms = sorted(r[1] for r in rows)
        return {
            "questions": len(rows),
            "empty": sum(1 for r in rows if r[3] == 0),
            "p50_ms": statistics.median(ms) if ms else 0.0,
            "p99_ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else 0.0,
        }

    return {
        "store": kind,
        "memories": result.total,
        "seconds": swapped_at - started,
        "memories_per_s": result.total / (swapped_at - started),
        "batch": batch,
        "during": latency(during),
        "after": {**latency(after), "models": sorted({r[2] for r in after})},
        "errors": errors[:10],
        "error_count": len(errors),
        "captured_during": {
            "memories": len(captured),
            "present_after": len(found),
            "models_after": sorted(kept_models),
            "refused_writes": len(refusals),
            "refused_for_s": (refusals[-1] - refusals[0] + 0.5) if refusals else 0.0,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories-from", type=Path, default=CACHE, help="a home whose store/memories.sqlite3 to copy")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--store", choices=("embedded", "weaviate"), default="embedded")
    args = parser.parse_args()
    if not (args.memories_from / "store" / "memories.sqlite3").is_file():
        raise SystemExit(f"no store under {args.memories_from}; run benchmarks/skeleton_bench.py once to build it")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    record = asyncio.run(run(args.memories_from, args.batch, args.store))
    table = Table(
        title=f"somnia reindex on the {args.store} store: {record['memories']:,} memories, "
        "all-MiniLM-L6-v2 -> bge-small-en-v1.5"
    )
    for column in ("phase", "questions", "empty", "errors", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for phase in ("during", "after"):
        row = record[phase]
        errors = str(record["error_count"]) if phase == "during" else "-"
        table.add_row(
            phase, str(row["questions"]), str(row["empty"]), errors, f"{row['p50_ms']:.1f}", f"{row['p99_ms']:.1f}"
        )
    console.print(table)
    c = record["captured_during"]
    console.print(
        f"captured during it: {c['memories']} memories, {c['present_after']} present after with "
        f"{', '.join(c['models_after'])}; {c['refused_writes']} writes refused over {c['refused_for_s']:.1f} s "
        "and tried again"
    )
    console.print(
        f"reindex: {record['seconds']:.0f} s ({record['memories_per_s']:.0f} memories/s); "
        f"after the swap the reader embedded with {', '.join(record['after']['models'])}"
    )
    RESULTS.mkdir(exist_ok=True)
    record["when"] = datetime.now(UTC).isoformat()
    results = RESULTS / ("reindex.json" if args.store == "embedded" else f"reindex_{args.store}.json")
    results.write_text(json.dumps(record, indent=2) + "\n")
    console.print(f"results: {results}")


if __name__ == "__main__":
    main()
