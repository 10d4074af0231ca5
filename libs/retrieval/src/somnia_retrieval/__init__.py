"""Recall's pipeline and the warm pack builder, shared by the recall and cache-warming services."""

from somnia_retrieval.filters import matches
from somnia_retrieval.live_wake import LiveWaker, WakeDelta
from somnia_retrieval.models import (
    ASSERTED,
    AbsenceSignal,
    Candidate,
    InvalidQuery,
    RankedMemory,
    RecallAnswer,
    Standing,
    Status,
    UnknownNamespace,
)
from somnia_retrieval.ports import RankingGraph
from somnia_retrieval.retriever import Retriever
from somnia_retrieval.settings import RankingSettings, RetrievalConfig, WarmPackSettings
from somnia_retrieval.warm_pack import (
    DEFAULT_BUDGETS,
    LAYER_ORDER,
    WarmPackBuilder,
    WarmRequest,
)
from somnia_retrieval.warming import create_live_waker, create_warm_builder, get_or_build

__all__ = [
    "ASSERTED",
    "DEFAULT_BUDGETS",
    "LAYER_ORDER",
    "AbsenceSignal",
    "Candidate",
    "InvalidQuery",
    "LiveWaker",
    "RankedMemory",
    "RankingGraph",
    "RankingSettings",
    "RecallAnswer",
    "RetrievalConfig",
    "Retriever",
    "Standing",
    "Status",
    "UnknownNamespace",
    "WakeDelta",
    "WarmPackBuilder",
    "WarmPackSettings",
    "WarmRequest",
    "create_live_waker",
    "create_warm_builder",
    "get_or_build",
    "matches",
]
