"""The real backing servers on loopback: NATS (JetStream), Weaviate and Neo4j, pinned, cached outside
the repository, each started with its data in a temporary directory and stopped cleanly."""

from somnia_backends.neo4j import Neo4jServer, install_neo4j
from somnia_backends.pins import NEO4J_VERSION, WEAVIATE_VERSION, cache_root
from somnia_backends.process import BackendError
from somnia_backends.weaviate import WeaviateServer, install_weaviate

__all__ = [
    "NEO4J_VERSION",
    "WEAVIATE_VERSION",
    "BackendError",
    "Neo4jServer",
    "WeaviateServer",
    "cache_root",
    "install_neo4j",
    "install_weaviate",
]
