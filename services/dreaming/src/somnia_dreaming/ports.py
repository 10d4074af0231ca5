"""The graph roles dreaming uses: session digests, patterns and communities, and feedback to score them."""

from __future__ import annotations

from typing import Protocol

from somnia_graph_store import DreamStore, GraphLifecycle, LinkWriter, RecallReader, UsesAndVerdicts


class DreamingGraph(GraphLifecycle, DreamStore, RecallReader, LinkWriter, UsesAndVerdicts, Protocol):
    """Dreams read digests and feedback and write patterns, communities and their insights' nodes; the
    promotion rule reads uses, supersessions and verdicts."""
