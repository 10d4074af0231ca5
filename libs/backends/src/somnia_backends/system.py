"""The whole system as containers on one machine: NATS, Weaviate, Neo4j and every service on one network,
each with a read-only root filesystem, as user 10001, with no capabilities and tini as PID 1, the way the
chart runs them. Capture and recall are published on loopback ports for callers on the host.

`somnia-backends system --api-keys FILE` runs it until Ctrl-C; the container e2e suite starts one per
test module.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from somnia_nats_server import port_is_open

from somnia_backends import engine
from somnia_backends.images import backend_images, service_images, service_ports
from somnia_backends.process import BackendError

# Ports inside the network (the images' and the chart's defaults).
NATS_PORT, WEAVIATE_HTTP_PORT, WEAVIATE_GRPC_PORT, NEO4J_BOLT_PORT = 4222, 8080, 50051, 7687
PUBLIC = ("capture", "recall")
# The services export spans to the collector, in batches sent every 200 ms (the SDK's default is 5 s).
TRACING_ENV = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317", "OTEL_BSP_SCHEDULE_DELAY": "200"}
METRICS_PORT = 9464  # the chart's metrics.port
KEYS_IN_CONTAINER = "/etc/somnia/api-keys.json"
# What every container gets: nothing written outside its volumes, no capabilities, no privilege gain.
HARDENING = (
    "--read-only",
    "--user=10001:10001",
    "--cap-drop=all",
    "--security-opt=no-new-privileges",
    "--tmpfs=/tmp:rw,size=64m,mode=1777",
)


@dataclass
class ContainerSystem:
    """One isolated system: its network, volumes and containers carry a random suffix."""

    repo: Path
    api_keys_file: Path
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    weaviate_api_key: str = field(default_factory=lambda: secrets.token_hex(16))
    neo4j_password: str = field(default_factory=lambda: secrets.token_hex(16))
    published: dict[str, int] = field(default_factory=dict)
    collection: str = "SomniaMemory"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Traces: the project's collector configuration (its traces pipeline) in front of a Jaeger that
    # stands where Tempo stands in the chart's setup; the services export to the collector.
    tracing: bool = False
    _workdir: Path | None = None

    @property
    def network(self) -> str:
        return f"somnia-{self.suffix}"

    def container(self, name: str) -> str:
        return f"somnia-{self.suffix}-{name}"

    @property
    def capture(self) -> str:
        return f"127.0.0.1:{self.published['capture']}"

    @property
    def recall(self) -> str:
        return f"127.0.0.1:{self.published['recall']}"

    def service_env(self) -> dict[str, str]:
        """What the chart's commonEnv gives every component, pointed at this network's servers."""
        return {
            "SOMNIA_NATS_URL": f"nats://nats:{NATS_PORT}",
            "SOMNIA_STORE_KIND": "weaviate",
            "SOMNIA_STORE_WEAVIATE_HTTP_HOST": "weaviate",
            "SOMNIA_STORE_WEAVIATE_HTTP_PORT": str(WEAVIATE_HTTP_PORT),
            "SOMNIA_STORE_WEAVIATE_GRPC_HOST": "weaviate",
            "SOMNIA_STORE_WEAVIATE_GRPC_PORT": str(WEAVIATE_GRPC_PORT),
            "SOMNIA_STORE_WEAVIATE_COLLECTION": self.collection,
            "SOMNIA_STORE_WEAVIATE_API_KEY": self.weaviate_api_key,
            "SOMNIA_GRAPH_KIND": "neo4j",
            "SOMNIA_GRAPH_NEO4J_URI": f"bolt://neo4j:{NEO4J_BOLT_PORT}",
            "SOMNIA_GRAPH_NEO4J_USER": "neo4j",
            "SOMNIA_GRAPH_NEO4J_PASSWORD": self.neo4j_password,
            "SOMNIA_AUTH_API_KEYS_FILE": KEYS_IN_CONTAINER,
            "SOMNIA_METRICS_PORT": str(METRICS_PORT),
            **(TRACING_ENV if self.tracing else {}),
            **self.extra_env,
        }

    def _run(self, name: str, image: str, env: dict[str, str], extra: list[str], args: tuple[str, ...] = ()) -> None:
        argv = ["run", "--detach", f"--name={self.container(name)}", f"--network={self.network}"]
        argv += [f"--network-alias={name}", *HARDENING, f"--volume={self.container(name)}-data:/data"]
        # Health is probed by this class (`healthy`); the engine's timers would need systemd.
        argv.append("--no-healthcheck")
        argv += [f"--env={k}={v}" for k, v in env.items()]
        engine.call([*argv, *extra, image, *args])

    def start_backends(self) -> None:
        images = backend_images()
        engine.call(["network", "create", self.network])
        self._run("nats", images["nats"], {}, [])
        weaviate_env = {
            "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "false",
            "AUTHENTICATION_APIKEY_ENABLED": "true",
            "AUTHENTICATION_APIKEY_ALLOWED_KEYS": self.weaviate_api_key,
            "AUTHENTICATION_APIKEY_USERS": "somnia",
            "LOG_LEVEL": "warning",
        }
        self._run("weaviate", images["weaviate"], weaviate_env, [])
        self._run("neo4j", images["neo4j"], {"NEO4J_PASSWORD": self.neo4j_password}, [])
        if self.tracing:
            config = self.workdir() / "otel-collector.yaml"
            config.write_text(yaml.safe_dump(collector_config(self.repo)))
            config.chmod(0o644)
            # Jaeger all-in-one listens on localhost unless told otherwise.
            self._run("tempo", images["jaeger"], {"JAEGER_LISTEN_HOST": "0.0.0.0"}, ["--publish=127.0.0.1::16686"])
            mount = f"--volume={config}:/etc/otelcol/config.yaml:ro"
            self._run("otel-collector", images["jaeger"], {}, [mount], ("--config", "/etc/otelcol/config.yaml"))
            mapped = engine.call(["port", self.container("tempo"), "16686"]).stdout.split()[0]
            self.published["traces"] = int(mapped.rsplit(":", 1)[1])

    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="somnia-system-"))
        return self._workdir

    def staged_keys(self) -> Path:
        """The key file as the services' user (10001) can read it: `somnia keys create` writes it 0600 for
        its owner, a Secret volume mounts it 0644. It holds hashes only."""
        staged = self.workdir() / "api-keys.json"
        if not staged.exists():
            shutil.copyfile(self.api_keys_file, staged)
            staged.chmod(0o644)
        return staged

    def start_service(self, service: str) -> None:
        ports = service_ports(self.repo)
        extra = [f"--volume={self.staged_keys()}:{KEYS_IN_CONTAINER}:ro"]
        if service in PUBLIC:
            extra.append(f"--publish=127.0.0.1::{ports[service]}")
        self._run(service, service_images(self.repo)[service], self.service_env(), extra)
        if service in PUBLIC:
            mapped = engine.call(["port", self.container(service), str(ports[service])]).stdout.split()[0]
            self.published[service] = int(mapped.rsplit(":", 1)[1])

    def start(self, timeout_s: float = 240.0) -> ContainerSystem:
        self.start_backends()
        self.wait_for_backends(timeout_s)
        for service in service_ports(self.repo):
            self.start_service(service)
        self.wait_healthy(timeout_s)
        return self

    def wait_for_backends(self, timeout_s: float) -> None:
        """Each backend listens on its port (the services' readiness then proves they answer)."""
        self._wait(lambda: all(self._listening(n, p) for n, p in self._backend_ports()), timeout_s, "backends")

    def _backend_ports(self) -> list[tuple[str, int]]:
        ports = [("nats", NATS_PORT), ("weaviate", WEAVIATE_HTTP_PORT), ("neo4j", NEO4J_BOLT_PORT)]
        return ports + ([("tempo", 4317), ("otel-collector", 4317)] if self.tracing else [])

    def traces(self, service: str, limit: int = 100) -> list[dict[str, Any]]:
        """Traces that touched `service`, from the trace backend's query API (Jaeger's JSON)."""
        query = urllib.parse.urlencode({"service": service, "limit": limit, "lookback": "1h"})
        url = f"http://127.0.0.1:{self.published['traces']}/api/traces?{query}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            return list(json.load(answer)["data"] or [])

    def _listening(self, name: str, port: int) -> bool:
        """A port is open inside a container: read from the kernel's table, no tool needed in the image."""
        table = engine.call(["exec", self.container(name), "cat", "/proc/net/tcp", "/proc/net/tcp6"], check=False)
        wanted = f":{port:04X} "
        return any(wanted in line and line.split()[3] == "0A" for line in table.stdout.splitlines()[1:])

    def healthy(self, service: str) -> bool:
        """The image's own health check: the gRPC health probe (readiness: NATS and stores reachable)."""
        probe = ["exec", self.container(service), "python", "-m", "somnia_grpc_runtime.probe", "--readiness"]
        return engine.call(probe, check=False, timeout_s=30).returncode == 0

    def wait_healthy(self, timeout_s: float, services: tuple[str, ...] = ()) -> None:
        wanted = services or tuple(service_ports(self.repo))
        self._wait(lambda: all(self.healthy(s) for s in wanted), timeout_s, f"{', '.join(wanted)} healthy")
        for service in (s for s in wanted if s in PUBLIC):
            self._wait(partial(port_is_open, "127.0.0.1", self.published[service]), timeout_s, f"{service} published")

    def exited(self) -> list[str]:
        """Containers of this system that are no longer running."""
        names = self._names()
        listed = engine.call(
            ["ps", "--all", "--filter", f"name=somnia-{self.suffix}-", "--format={{.Names}} {{.State}}"]
        )
        states = dict(line.split(" ", 1) for line in listed.stdout.splitlines() if " " in line)
        return [
            n
            for n in names
            if self.container(n) in states and not states[self.container(n)].startswith(("running", "Up"))
        ]

    def _wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if stopped := self.exited():  # a crash will not heal by waiting: say so now
                raise BackendError(f"{what}: {', '.join(stopped)} exited\n{self.logs_tail()}")
            if time.monotonic() > deadline:
                raise BackendError(f"{what}: not so after {timeout_s:.0f}s\n{self.logs_tail()}")
            time.sleep(1.0)

    def exec(self, service: str, *argv: str, timeout_s: float = 300) -> tuple[int, str]:
        """Run a command in a service's container (what an operator does with `kubectl exec`)."""
        result = engine.call(["exec", self.container(service), *argv], check=False, timeout_s=timeout_s)
        return result.returncode, result.stdout + result.stderr

    def metrics(self, service: str) -> str:
        """The service's Prometheus exposition, read from inside its container (as a scraper would)."""
        read = (
            f"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{METRICS_PORT}/metrics').read().decode())"
        )
        code, output = self.exec(service, "python", "-c", read, timeout_s=30)
        if code != 0:
            raise BackendError(f"{service} served no metrics on {METRICS_PORT}: {output[-1000:]}")
        return output

    def kill(self, service: str) -> None:
        engine.call(["kill", "--signal=KILL", self.container(service)])

    def restart(self, service: str) -> None:
        engine.call(["start", self.container(service)])

    def stop(self, service: str, timeout_s: int = 20) -> tuple[float, int]:
        """SIGTERM, then SIGKILL after `timeout_s`: how long it took and the exit code it stopped with."""
        started = time.monotonic()
        engine.call(["stop", f"--time={timeout_s}", self.container(service)])
        code = engine.call(["inspect", "--format={{.State.ExitCode}}", self.container(service)]).stdout.strip()
        return time.monotonic() - started, int(code)

    def logs_tail(self, lines: int = 15) -> str:
        out = []
        for name in self._names():
            logs = engine.call(["logs", f"--tail={lines}", self.container(name)], check=False)
            if logs.returncode == 0:
                out.append(f"--- {name}\n{(logs.stdout + logs.stderr).strip()}")
        return "\n".join(out)

    def _names(self) -> tuple[str, ...]:
        return ("nats", "weaviate", "neo4j", "tempo", "otel-collector", *service_ports(self.repo))

    def remove(self) -> None:
        names = self._names()
        engine.call(["rm", "--force", "--time=5", *(self.container(n) for n in names)], check=False)
        engine.call(["volume", "rm", "--force", *(f"{self.container(n)}-data" for n in names)], check=False)
        engine.call(["network", "rm", "--force", self.network], check=False)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> ContainerSystem:
        try:
            return self.start()
        except BaseException:
            self.remove()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()


def collector_config(repo: Path) -> dict[str, Any]:
    """deploy/observability/otel-collector.yaml as a collector on one machine runs it: the traces pipeline
    exactly as written (OTLP in, memory_limiter and batch, OTLP out to `tempo`); the metrics pipeline is
    left out, since its Prometheus receiver discovers pods through the Kubernetes API and its exporter
    writes to a Prometheus, neither of which exists here (the services' /metrics are scraped directly)."""
    config: dict[str, Any] = yaml.safe_load((repo / "deploy" / "observability" / "otel-collector.yaml").read_text())
    config["service"]["pipelines"] = {"traces": config["service"]["pipelines"]["traces"]}
    used = config["service"]["pipelines"]["traces"]
    for section, key in (("receivers", "receivers"), ("processors", "processors"), ("exporters", "exporters")):
        config[section] = {name: spec for name, spec in config[section].items() if name in used[key]}
    return config
