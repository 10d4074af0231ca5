"""The same backends from Docker images through testcontainers, for people who have a Docker engine
(`SOMNIA_BACKENDS=containers`). The objects expose what the native servers expose (url / host and
ports / uri and credentials), so tests do not care which provider they got."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from somnia_backends.pins import NEO4J_VERSION, WEAVIATE_VERSION

NATS_IMAGE = "nats:2.12-alpine"
WEAVIATE_IMAGE = f"semitechnologies/weaviate:{WEAVIATE_VERSION.removeprefix('v')}"
NEO4J_IMAGE = f"neo4j:{NEO4J_VERSION}-community"
NATS_CONFIG = (
    "listen: 0.0.0.0:4222\nhttp: 0.0.0.0:8222\nmax_payload: 8MB\n"
    "jetstream {\n  store_dir: /data\n  sync_interval: always\n}\n"
)


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers; otherwise why not, in words."""
    try:
        import docker
    except ImportError:
        return "the testcontainers extra is not installed (somnia-backends[containers])"
    try:
        docker.from_env().ping()
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__}: {exc})"
    return None


class ContainerNats:
    def __init__(self, workdir: Path) -> None:
        from testcontainers.core.container import DockerContainer

        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "nats.conf").write_text(NATS_CONFIG)
        self._container: Any = (
            DockerContainer(NATS_IMAGE)
            .with_exposed_ports(4222, 8222)
            .with_volume_mapping(str(workdir / "nats.conf"), "/etc/nats/nats.conf", "ro")
            .with_command("-c /etc/nats/nats.conf")
        )

    def start(self) -> ContainerNats:
        from testcontainers.core.waiting_utils import wait_for_logs

        self._container.start()
        wait_for_logs(self._container, "Server is ready", timeout=60)
        return self

    @property
    def url(self) -> str:
        return f"nats://{self._container.get_container_host_ip()}:{self._container.get_exposed_port(4222)}"

    def kill(self) -> None:
        self._container.get_wrapped_container().kill()

    def stop(self) -> None:
        self._container.stop()


class ContainerWeaviate:
    def __init__(self) -> None:
        from testcontainers.weaviate import WeaviateContainer

        self.api_key = secrets.token_hex(16)
        self._container: Any = WeaviateContainer(
            image=WEAVIATE_IMAGE,
            env_vars={
                "AUTOSCHEMA_ENABLED": "false",
                "DISABLE_TELEMETRY": "true",
                "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false",
                "AUTHENTICATION_APIKEY_ENABLED": "true",
                "AUTHENTICATION_APIKEY_ALLOWED_KEYS": self.api_key,
                "AUTHENTICATION_APIKEY_USERS": "somnia",
            },
        )

    def start(self) -> ContainerWeaviate:
        self._container.start()
        return self

    @property
    def host(self) -> str:
        return str(self._container.get_http_host())

    @property
    def http_port(self) -> int:
        return int(self._container.get_http_port())

    @property
    def grpc_port(self) -> int:
        return int(self._container.get_grpc_port())

    def version(self) -> str:
        return WEAVIATE_VERSION

    def stop(self) -> None:
        self._container.stop()


class ContainerNeo4j:
    def __init__(self) -> None:
        from testcontainers.neo4j import Neo4jContainer

        self.user = "neo4j"
        # Hex only: a password starting with "-" would be read as an option by neo4j-admin.
        self.password = secrets.token_hex(16)
        self._container: Any = Neo4jContainer(image=NEO4J_IMAGE, password=self.password)

    def start(self) -> ContainerNeo4j:
        self._container.start()
        return self

    @property
    def uri(self) -> str:
        return str(self._container.get_connection_url())

    def version(self) -> str:
        return NEO4J_VERSION

    def stop(self) -> None:
        self._container.stop()
