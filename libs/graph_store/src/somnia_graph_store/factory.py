"""Open the configured graph store; the Neo4j driver is imported only when Neo4j is chosen."""

from __future__ import annotations

from somnia_graph_store.ports import GraphStore
from somnia_graph_store.settings import GraphStoreSettings


def open_graph_store(settings: GraphStoreSettings) -> GraphStore:
    if settings.kind == "neo4j":
        from somnia_graph_store.neo4j.store import Neo4jGraphStore

        return Neo4jGraphStore(
            settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
        )
    from somnia_graph_store.embedded.store import EmbeddedGraphStore

    return EmbeddedGraphStore(settings.data_dir / "graph.sqlite3", inline_reads=settings.inline_reads)
