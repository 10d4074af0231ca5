"""Get a session's warm pack, or build it: one builder and one function for recall's WarmCache and for
cache-warming."""

from __future__ import annotations

from somnia_memory_store import MemoryStore
from somnia_warm_packs import WarmPack, WarmPackStore

from somnia_retrieval.live_wake import LiveWaker
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.retriever import Retriever
from somnia_retrieval.settings import RetrievalConfig
from somnia_retrieval.warm_pack import WarmPackBuilder, WarmRequest


def create_warm_builder(
    retriever: Retriever, store: MemoryStore, graph: RankingGraph | None, config: RetrievalConfig
) -> WarmPackBuilder:
    """The warm pack builder recall and cache-warming both run, from the same settings."""
    warm = config.warm
    return WarmPackBuilder(
        retriever,
        store,
        graph,
        config.tokens,
        recent_sessions=warm.recent_sessions,
        related_k=warm.related_k,
        dreamt_share=warm.dreamt_share,
        insight_min_cosine=warm.insight_min_cosine,
        pool_k=warm.pool_k,
        l4_refresh=warm.l4_refresh,
    )


def create_live_waker(retriever: Retriever, config: RetrievalConfig) -> LiveWaker:
    """The live waker recall runs for WakeDelta, from the same settings."""
    warm = config.warm
    return LiveWaker(
        retriever,
        config.tokens,
        k=warm.wake_k,
        min_relevance=warm.wake_min_relevance,
        min_cosine=warm.wake_min_cosine,
    )


async def get_or_build(
    builder: WarmPackBuilder, packs: WarmPackStore | None, request: WarmRequest, *, rebuild: bool = False
) -> tuple[WarmPack, bool]:
    """The session's stored pack when one was built for the same budgets (and `rebuild` is not asked),
    else a new pack, stored when there is a store. Returns the pack and whether it came from the store.

    A pack is a pure function of the stores and the session's start, so two builders racing for the same
    session write equivalent packs and the last write wins harmlessly."""
    if request.exclude:  # a pack for this caller's adapters alone: built for the call, never stored
        return await builder.build(request), False
    if packs is not None and not rebuild:
        stored = await packs.get(request.namespace, request.session_id)
        if stored is not None and {layer.layer: layer.budget for layer in stored.layers} == request.budgets:
            return stored, True
    if packs is not None and not request.previous:
        previous = await builder.previous_session(request)
        last = await packs.get(request.namespace, previous) if previous else None
        if last is not None:  # its stable layer opens this pack too, as far as it still holds
            request = request.model_copy(update={"previous": last.layer_ids("L4")})
    pack = await builder.build(request)
    if packs is not None:
        await packs.put(pack)
    return pack, False
