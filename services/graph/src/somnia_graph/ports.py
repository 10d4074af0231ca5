"""What the graph service needs from the outside world: the graph's linking writes (with uses, supersessions
and verdicts) and the memory store's vectors for SIMILAR_TO and supersession checks."""

from __future__ import annotations

from typing import Protocol

from somnia_graph_store import GraphLifecycle, LinkWriter, UsesAndVerdicts
from somnia_memory_store import MemoryStore


class LinkingGraph(GraphLifecycle, LinkWriter, UsesAndVerdicts, Protocol):
    """Everything the linker writes into the graph."""


__all__ = ["LinkingGraph", "MemoryStore"]
