"""Moving a store to another embedder without losing it or stopping recall.

`reindex` re-embeds every memory's text into vectors kept beside the old ones (resumable: what was
written survives an interruption), embeds what was captured meanwhile, then swaps in one transaction.
Until the swap every search uses the old vectors; after it, the new ones. `FollowingEmbedder` is how a
running process keeps up: it embeds with whatever model the store's vectors now come from, so queries
and new memories switch models at the swap, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from somnia_embedder import (
    Embedder,
    EmbedderError,
    EmbedderSettings,
    Vectors,
    create_embedder,
    create_offline_embedder,
    settings_kind_of,
    with_kind,
)
from somnia_memory_store import MemoryStore, ReindexableStore, ReindexError, ReindexProgress

log = logging.getLogger("somnia.reindex")
Progress = Callable[[ReindexProgress], None]


async def reindex(
    store: ReindexableStore,
    embedder: Embedder,
    *,
    batch: int = 256,
    restart: bool = False,
    on_progress: Progress | None = None,
) -> ReindexProgress:
    """Re-embed every memory with `embedder`, then swap; returns where the store stands after."""
    if await store.embedder_identity() == (embedder.name, embedder.dimension):
        raise ReindexError(f"the store already holds vectors from {embedder.name}; nothing to reindex")
    progress = await store.reindex_begin(embedder.name, embedder.dimension, restart=restart)
    if on_progress:
        on_progress(progress)
    after = 0
    while True:
        pending = await store.reindex_pending(batch, after)
        if not pending:
            if after:
                after = 0  # one more sweep from the start: rows changed behind the cursor
                continue
            if await store.reindex_swap():
                done = await store.reindex_progress()
                if on_progress:
                    on_progress(done)
                return done
            continue  # memories captured since the sweep: embed them too, then swap
        if after == 0 and len(pending) < batch:
            # Little is left: start the swap now. A store that must hold writes back for it (Weaviate
            # seals) does so here, or a busy store would never see a pass with nothing left; one that
            # swaps in a transaction answers False while anything is pending.
            await store.reindex_swap()
        after = pending[-1][0]
        keys = [key for key, _ in pending]
        texts = [text for _, text in pending]
        await store.reindex_write(embedder.name, keys, texts, await embedder.embed(texts))
        if on_progress:
            on_progress(await store.reindex_progress())


class FollowingEmbedder:
    """Embeds with the model the store's vectors come from: after a reindex swaps the store to another
    offline model, the next call loads that model (the store is asked on every call: a SQLite read)."""

    def __init__(self, inner: Embedder, store: ReindexableStore, settings: EmbedderSettings) -> None:
        self._inner = inner
        self._store = store
        self._settings = settings
        self._switching = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    async def embed(self, texts: Sequence[str]) -> Vectors:
        identity = await self._store.embedder_identity()
        if identity is not None and identity[0] != self._inner.name:
            await self._follow(identity[0])
        return await self._inner.embed(texts)

    async def _follow(self, name: str) -> None:
        async with self._switching:
            if self._inner.name == name:
                return
            kind = settings_kind_of(name)
            if kind is None:
                raise EmbedderError(
                    f"the store's vectors now come from {name}, which this process cannot load by itself; "
                    "restart it with SOMNIA_EMBEDDER_* set for that model"
                )
            # Loading a model takes seconds of CPU: off the event loop, which goes on serving.
            follower = await asyncio.to_thread(create_offline_embedder, with_kind(self._settings, kind))
            previous, self._inner = self._inner, follower
            log.warning("the store was reindexed: embedding with %s from now on (was %s)", name, previous.name)
            await previous.aclose()

    async def aclose(self) -> None:
        await self._inner.aclose()


async def settings_for_store(settings: EmbedderSettings, store: MemoryStore) -> EmbedderSettings:
    """The embedder settings that match the store's vectors: a store that `somnia reindex` moved to
    another offline model is embedded with that model, whatever SOMNIA_EMBEDDER_KIND still says (logged),
    so that a restart after a reindex does not need the setting changed first."""
    if not isinstance(store, ReindexableStore):
        return settings
    identity = await store.embedder_identity()
    kind = settings_kind_of(identity[0]) if identity is not None else None
    if kind is None or kind == settings.kind:
        return settings
    log.warning(
        "the store's vectors come from %s: embedding with %s, not SOMNIA_EMBEDDER_KIND=%s",
        identity[0] if identity else "",
        kind,
        settings.kind,
    )
    return with_kind(settings, kind)


async def create_following_embedder(settings: EmbedderSettings, store: MemoryStore) -> Embedder:
    """The store's model (settings_for_store); over a store that can be reindexed, one that follows it."""
    settings = await settings_for_store(settings, store)
    embedder = await create_embedder(settings)
    return FollowingEmbedder(embedder, store, settings) if isinstance(store, ReindexableStore) else embedder
