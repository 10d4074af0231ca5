"""Recall's pipeline and the warm pack builder, shared by the recall and cache-warming services."""

from somnia_retrieval.filters import matches
from somnia_retrieval.models import (
    ASSERTED,
    Candidate,
    InvalidQuery,
    RankedMemory,
    Standing,
    Status,
    UnknownNamespace,
)
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.retriever import Retriever
from somnia_retrieval.settings import RankingSettings, WarmPackSettings
from somnia_retrieval.warm_pack import (
    DEFAULT_BUDGETS,
    LAYER_ORDER,
    WarmPackBuilder,
    WarmRequest,
)

__all__ = [
    "ASSERTED",
    "DEFAULT_BUDGETS",
    "LAYER_ORDER",
    "Candidate",
    "InvalidQuery",
    "RankedMemory",
    "RankingGraph",
    "RankingSettings",
    "Retriever",
    "Standing",
    "Status",
    "UnknownNamespace",
    "WarmPackBuilder",
    "WarmPackSettings",
    "WarmRequest",
    "matches",
]
