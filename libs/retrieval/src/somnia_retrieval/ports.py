"""The graph roles ranking and warm packs read (recall and cache-warming both rank)."""

from __future__ import annotations

from typing import Protocol

from somnia_graph_store import GraphLifecycle, RecallReader, UsesAndVerdicts


class RankingGraph(GraphLifecycle, RecallReader, UsesAndVerdicts, Protocol):
    """Expansion, importance, supersession and provenance reads; no writes."""
