"""The graph roles erasure uses: it removes (ErasureStore), finds what a target covers (RecallReader),
scrubs communities (DreamStore) and rewrites the insights that quote what goes (UsesAndVerdicts)."""

from __future__ import annotations

from typing import Protocol

from somnia_graph_store import DreamStore, ErasureStore, RecallReader, UsesAndVerdicts


class ErasureGraph(ErasureStore, RecallReader, DreamStore, UsesAndVerdicts, Protocol):
    """Everything an erasure reads and changes in the graph."""
