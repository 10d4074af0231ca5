"""Weaviate built from its Go module at a pinned tag, run on loopback with anonymous access, no
vectorizer modules, REST and gRPC ports of our choosing and a single-node Raft cluster."""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from somnia_nats_server import free_port

from somnia_backends.pins import WEAVIATE_VERSION, cache_root
from somnia_backends.process import ServerProcess
from somnia_backends.tools import run_go

MODULE = "github.com/weaviate/weaviate/cmd/weaviate-server"


def weaviate_binary(version: str = WEAVIATE_VERSION) -> Path:
    return cache_root() / "bin" / f"weaviate-{version}" / "weaviate-server"


def install_weaviate(version: str = WEAVIATE_VERSION) -> Path:
    """`go install` the pinned server into the cache (a few minutes once; instant afterwards)."""
    binary = weaviate_binary(version)
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    run_go(["install", f"{MODULE}@{version}"], f"Weaviate {version}", GOBIN=str(binary.parent))
    return binary


class WeaviateServer:
    """One Weaviate node; every port is free-picked so several can run side by side."""

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", http_port: int = 0, grpc_port: int = 0) -> None:
        self.data_dir = data_dir
        self.host = host
        self.http_port = http_port or free_port(host)
        self.grpc_port = grpc_port or free_port(host)
        self._ports = {name: free_port(host) for name in ("gossip", "data", "raft", "raft_rpc")}
        # Clients must authenticate: anonymous access is off, as it should be anywhere but a laptop demo.
        self.api_key = secrets.token_hex(16)
        self._process = ServerProcess("weaviate", data_dir / "weaviate.log")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def environment(self) -> dict[str, str]:
        return {
            "PERSISTENCE_DATA_PATH": str(self.data_dir / "data"),
            "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false",
            "AUTHENTICATION_APIKEY_ENABLED": "true",
            "AUTHENTICATION_APIKEY_ALLOWED_KEYS": self.api_key,
            "AUTHENTICATION_APIKEY_USERS": "somnia",
            "DEFAULT_VECTORIZER_MODULE": "none",
            "ENABLE_MODULES": "",
            "AUTOSCHEMA_ENABLED": "false",
            "DISABLE_TELEMETRY": "true",
            # BM25 through BlockMax WAND (1.36's default) missed most matches: docs/backends.md.
            "USE_INVERTED_SEARCHABLE": "false",
            "LOG_LEVEL": "warning",
            "GRPC_PORT": str(self.grpc_port),
            "CLUSTER_HOSTNAME": "node1",
            "CLUSTER_BIND_ADDR": self.host,
            "CLUSTER_ADVERTISE_ADDR": self.host,
            "CLUSTER_GOSSIP_BIND_PORT": str(self._ports["gossip"]),
            "CLUSTER_DATA_BIND_PORT": str(self._ports["data"]),
            "RAFT_PORT": str(self._ports["raft"]),
            "RAFT_INTERNAL_RPC_PORT": str(self._ports["raft_rpc"]),
            "RAFT_JOIN": f"node1:{self._ports['raft_rpc']}",
            "RAFT_BOOTSTRAP_EXPECT": "1",
            "GO_PROFILING_DISABLE": "true",
            "PROMETHEUS_MONITORING_ENABLED": "false",
        }

    def start(self, timeout_s: float = 120.0) -> WeaviateServer:
        binary = install_weaviate()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **self.environment()}
        argv = [str(binary), "--host", self.host, "--port", str(self.http_port), "--scheme", "http"]
        self._process.spawn(argv, env)
        self._process.wait_until(self._ready, timeout_s, "ready")
        return self

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/v1/.well-known/ready", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def version(self) -> str:
        request = urllib.request.Request(f"{self.url}/v1/meta", headers={"Authorization": f"Bearer {self.api_key}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(json.load(response)["version"])

    def stop(self) -> None:
        self._process.stop()

    def kill(self) -> None:
        self._process.kill()

    def __enter__(self) -> WeaviateServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
