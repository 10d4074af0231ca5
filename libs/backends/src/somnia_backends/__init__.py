"""The real backing servers on loopback: NATS (JetStream), Weaviate and Neo4j, pinned, cached outside
the repository, each started with its data in a temporary directory and stopped cleanly; and the
images of everything, with the whole system run as containers."""

from somnia_backends.engine import engine_unavailable_reason, image_exists
from somnia_backends.images import backend_images, service_images, service_ports
from somnia_backends.kube_api import KubeApiServer
from somnia_backends.kube_play import ChartPods
from somnia_backends.neo4j import Neo4jServer, install_neo4j
from somnia_backends.pins import NEO4J_VERSION, WEAVIATE_VERSION, cache_root
from somnia_backends.process import BackendError
from somnia_backends.system import ContainerSystem
from somnia_backends.weaviate import WeaviateServer, install_weaviate

__all__ = [
    "NEO4J_VERSION",
    "WEAVIATE_VERSION",
    "BackendError",
    "ChartPods",
    "ContainerSystem",
    "KubeApiServer",
    "Neo4jServer",
    "WeaviateServer",
    "backend_images",
    "cache_root",
    "engine_unavailable_reason",
    "image_exists",
    "install_neo4j",
    "install_weaviate",
    "service_images",
    "service_ports",
]
