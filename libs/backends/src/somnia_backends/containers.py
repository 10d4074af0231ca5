"""The same backends as containers through testcontainers (`SOMNIA_BACKENDS=containers`), from the images
`make images` builds (no registry is needed). The objects expose what the native servers expose (url /
host and ports / uri and credentials), so tests do not care which provider they got.

Testcontainers speaks the Docker API: a Docker engine, or podman's socket (`podman system service`) with
DOCKER_HOST pointing at it; `make test` starts the latter (docs/deploy.md).
"""

from __future__ import annotations

import json
import secrets
import urllib.request
from typing import Any

from somnia_backends.images import backend_images
from somnia_backends.pins import NEO4J_VERSION


def docker_unavailable_reason() -> str | None:
    """None when a Docker API answers (Docker, or podman's socket); otherwise why not, in words."""
    try:
        import docker
    except ImportError:
        return "the testcontainers extra is not installed (somnia-backends[containers])"
    try:
        docker.from_env().ping()
    except Exception as exc:
        return f"no Docker API answers at DOCKER_HOST ({type(exc).__name__}: {exc})"
    return None


def _container(name: str, ports: tuple[int, ...], env: dict[str, str]) -> Any:
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(backend_images()[name]).with_exposed_ports(*ports)
    for key, value in env.items():
        container.with_env(key, value)
    # As the chart runs them: nothing written outside /data, no capabilities.
    # The value is the Docker API's mount options ("size=64m"), whatever the docstring says.
    return container.with_tmpfs_mount("/tmp", "size=64m").with_kwargs(read_only=True, cap_drop=["ALL"])


class ContainerNats:
    def __init__(self) -> None:
        self._container: Any = _container("nats", (4222, 8222), {})

    def start(self) -> ContainerNats:
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        self._container.waiting_for(LogMessageWaitStrategy("Server is ready").with_startup_timeout(60))
        self._container.start()
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
        self.api_key = secrets.token_hex(16)
        env = {
            "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false",
            "AUTHENTICATION_APIKEY_ENABLED": "true",
            "AUTHENTICATION_APIKEY_ALLOWED_KEYS": self.api_key,
            "AUTHENTICATION_APIKEY_USERS": "somnia",
            "LOG_LEVEL": "warning",
        }
        self._container: Any = _container("weaviate", (8080, 50051), env)

    def start(self) -> ContainerWeaviate:
        from testcontainers.core.wait_strategies import HttpWaitStrategy

        self._container.waiting_for(HttpWaitStrategy(8080, "/v1/.well-known/ready").with_startup_timeout(120))
        self._container.start()
        return self

    @property
    def host(self) -> str:
        return str(self._container.get_container_host_ip())

    @property
    def http_port(self) -> int:
        return int(self._container.get_exposed_port(8080))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def grpc_port(self) -> int:
        return int(self._container.get_exposed_port(50051))

    def version(self) -> str:
        """What the server says it is (as the native server's does)."""
        request = urllib.request.Request(f"{self.url}/v1/meta", headers={"Authorization": f"Bearer {self.api_key}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(json.load(response)["version"])

    def stop(self) -> None:
        self._container.stop()


class ContainerNeo4j:
    def __init__(self) -> None:
        self.user = "neo4j"
        # Hex only: a password starting with "-" would be read as an option by neo4j-admin.
        self.password = secrets.token_hex(16)
        self._container: Any = _container("neo4j", (7687,), {"NEO4J_PASSWORD": self.password})

    def start(self) -> ContainerNeo4j:
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        self._container.waiting_for(LogMessageWaitStrategy("Started.").with_startup_timeout(180))
        self._container.start()
        return self

    @property
    def uri(self) -> str:
        return f"bolt://{self._container.get_container_host_ip()}:{self._container.get_exposed_port(7687)}"

    def version(self) -> str:
        return NEO4J_VERSION

    def stop(self) -> None:
        self._container.stop()
