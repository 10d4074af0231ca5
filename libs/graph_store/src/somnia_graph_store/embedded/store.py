"""The embedded graph store: every role of the graph port over one SQLite file."""

from __future__ import annotations

from somnia_graph_store.embedded.dreams import EmbeddedDreamStore
from somnia_graph_store.embedded.erasure import EmbeddedErasure
from somnia_graph_store.embedded.judgements import EmbeddedUsesAndVerdicts
from somnia_graph_store.embedded.linking import EmbeddedLinking
from somnia_graph_store.embedded.reads import EmbeddedRecallReads


class EmbeddedGraphStore(
    EmbeddedLinking, EmbeddedRecallReads, EmbeddedDreamStore, EmbeddedErasure, EmbeddedUsesAndVerdicts
):
    """One class for the factory; each role lives in its own module, mirrored by the Neo4j adapter."""
