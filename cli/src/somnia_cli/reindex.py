"""`somnia reindex`: move the store to another embedder while Somnia keeps answering (somnia_stores.reindex
does the work; this draws it)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table


class ReindexRefused(RuntimeError):
    """The reindex cannot run as asked; the message says what to do."""


async def run_reindex(kind: str, store_dir: Path, *, batch: int, restart: bool, console: Console) -> Table:
    # Imported here: the model runtime loads only for this command.
    from somnia_embedder import EmbedderSettings, create_embedder, with_kind
    from somnia_memory_store import (
        MemoryStoreSettings,
        ReindexableStore,
        ReindexError,
        StoreError,
        open_memory_store,
    )
    from somnia_stores import reindex

    settings = MemoryStoreSettings(data_dir=Path(os.environ.get("SOMNIA_STORE_DATA_DIR", store_dir)))
    store = open_memory_store(settings)
    assert isinstance(store, ReindexableStore)  # both adapters are
    embedder = await create_embedder(with_kind(EmbedderSettings(), kind))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        before = await store.embedder_identity()
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"re-embedding with {embedder.name}", total=None)
            done = await reindex(
                store,
                embedder,
                batch=batch,
                restart=restart,
                on_progress=lambda p: progress.update(task, total=p.total, completed=p.done),
            )
    except ReindexError as exc:
        raise ReindexRefused(str(exc)) from exc
    except StoreError as exc:  # Weaviate unreachable or refusing: what was copied is kept, run it again
        raise ReindexRefused(
            f"the store failed during the reindex ({exc}); run the same command again to resume"
        ) from exc
    finally:
        await embedder.aclose()
        await store.aclose()
    table = Table(title="reindexed", show_header=False)
    where = settings.data_dir if settings.kind == "embedded" else f"Weaviate, store {settings.weaviate_collection}"
    table.add_row("store", str(where))
    table.add_row("memories", str(done.total))
    table.add_row("vectors from", f"{before[0] if before else '(empty store)'} -> {done.embedder}")
    return table


def reindex_command(kind: str, store_dir: Path, *, batch: int, restart: bool, console: Console) -> Table:
    return asyncio.run(run_reindex(kind, store_dir, batch=batch, restart=restart, console=console))
