"""Recall's pipeline and the warm pack, shared by the recall and cache-warming services."""

from somnia_retrieval.filters import matches
from somnia_retrieval.models import (
    ASSERTED,
    Candidate,
    InvalidQuery,
    LayerName,
    RankedMemory,
    Standing,
    Status,
    UnknownNamespace,
)
from somnia_retrieval.pack_store import WarmPackStore, pack_key
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.retriever import Retriever
from somnia_retrieval.settings import RankingSettings, WarmPackSettings
from somnia_retrieval.warm_pack import (
    DEFAULT_BUDGETS,
    LAYER_ORDER,
    PackItem,
    PackLayer,
    WarmPack,
    WarmPackBuilder,
    WarmRequest,
)

__all__ = [
    "ASSERTED",
    "DEFAULT_BUDGETS",
    "LAYER_ORDER",
    "Candidate",
    "InvalidQuery",
    "LayerName",
    "PackItem",
    "PackLayer",
    "RankedMemory",
    "RankingGraph",
    "RankingSettings",
    "Retriever",
    "Standing",
    "Status",
    "UnknownNamespace",
    "WarmPack",
    "WarmPackBuilder",
    "WarmPackSettings",
    "WarmPackStore",
    "WarmRequest",
    "matches",
    "pack_key",
]
