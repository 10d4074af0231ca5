"""The Neo4j graph store: every role of the graph port over one driver."""

from __future__ import annotations

from somnia_graph_store.neo4j.dreams import Neo4jDreamStore
from somnia_graph_store.neo4j.erasure import Neo4jErasure
from somnia_graph_store.neo4j.judgements import Neo4jUsesAndVerdicts
from somnia_graph_store.neo4j.linking import Neo4jLinking
from somnia_graph_store.neo4j.reads import Neo4jRecallReads


class Neo4jGraphStore(Neo4jLinking, Neo4jRecallReads, Neo4jDreamStore, Neo4jErasure, Neo4jUsesAndVerdicts):
    """One class for the factory; each role lives in its own module, mirrored by the embedded adapter."""
