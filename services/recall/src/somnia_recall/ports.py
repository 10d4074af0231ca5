"""The graph roles recall uses: ranking's reads (retrieval) and erasure's (the Forget RPC)."""

from __future__ import annotations

from typing import Protocol

from somnia_erasure import ErasureGraph
from somnia_retrieval import RankingGraph


class RecallGraph(RankingGraph, ErasureGraph, Protocol):
    """What Recall, WarmCache and Forget read and change in the graph."""
