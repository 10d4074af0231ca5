"""The chart's own output, run: `helm template` with deploy/containers/kube-values.yaml, played by
`podman kube play` on the network where NATS, Weaviate and Neo4j run as containers. So the Deployments,
environment, security contexts, volumes and Secrets the chart renders are the ones that start.

What podman (4.3, Debian bookworm) cannot take as rendered is adapted here, each for a stated reason, and
nothing else is touched (`adapt` returns the list of what it changed):
- a `secret` volume crashes kube play (a nil dereference in VolumeFromSecret): each becomes a read-only
  hostPath directory holding the same files;
- every containerPort is published on the host, so seven pods collide on the metrics port: only the
  public gRPC ports stay, published on free loopback ports;
- Secrets are podman secrets, in the format its secretKeyRef lookup reads (a JSON map of base64 values).
Kinds kube play does not run (Service, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler,
ServiceAccount, KEDA's ScaledObject) are left in the file; `ignored_kinds` names them.
"""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from somnia_nats_server import free_port, port_is_open

from somnia_backends import engine
from somnia_backends.images import service_ports
from somnia_backends.process import BackendError
from somnia_backends.system import PUBLIC, ContainerSystem
from somnia_backends.tools import install_helm

PLAYED_KINDS = {"Pod", "Deployment", "ConfigMap", "PersistentVolumeClaim", "Secret", "DaemonSet"}
KUBE_VERSION = "1.31.0"


def render_chart(repo: Path, values: Path, *set_values: str) -> list[dict[str, Any]]:
    """`helm template` of charts/somnia with these values, as a list of manifests."""
    argv = [str(install_helm()), "template", "somnia", str(repo / "charts" / "somnia"), "--kube-version", KUBE_VERSION]
    argv += ["-f", str(values), *(f"--set={s}" for s in set_values)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BackendError(f"helm template failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def ignored_kinds(docs: list[dict[str, Any]]) -> list[str]:
    return sorted({str(d["kind"]) for d in docs} - PLAYED_KINDS)


def adapt(
    docs: list[dict[str, Any]], secret_files: Path, host_ports: dict[str, int]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The manifests with the adaptations in the module's docstring, and a line for each change made."""
    changes: list[str] = []
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        name = doc["metadata"]["name"]
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                secret = volume.pop("secret")["secretName"]
                volume["hostPath"] = {"path": str(secret_files / secret), "type": "Directory"}
                changes.append(f"{name}: secret volume {secret} -> hostPath")
        for container in pod["containers"]:
            kept = []
            for port in container.get("ports", []):
                if port.get("name") == "grpc" and container["name"] in host_ports:
                    port.update(hostPort=host_ports[container["name"]], hostIP="127.0.0.1")
                    kept.append(port)
                else:
                    changes.append(f"{name}: containerPort {port['containerPort']} not published")
            container["ports"] = kept
    return docs, changes


def podman_secret(name: str, data: dict[str, str]) -> None:
    """A Kubernetes Secret as podman 4.3's secretKeyRef lookup reads it: a JSON map of base64 values."""
    payload = json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in data.items()})
    engine.call(["secret", "rm", name], check=False)
    argv = [engine.engine(), "secret", "create", name, "-"]
    result = subprocess.run(argv, input=payload, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackendError(f"podman secret create {name} failed: {result.stderr.strip()}")


@dataclass
class ChartPods:
    """The backends as containers, then every Deployment the chart renders as a podman pod."""

    repo: Path
    api_keys_file: Path
    backends: ContainerSystem = field(init=False)
    published: dict[str, int] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    seconds_to_ready: float = 0.0
    _workdir: tempfile.TemporaryDirectory[str] | None = None

    def __post_init__(self) -> None:
        self.backends = ContainerSystem(self.repo, self.api_keys_file)

    @property
    def capture(self) -> str:
        return f"127.0.0.1:{self.published['capture']}"

    @property
    def recall(self) -> str:
        return f"127.0.0.1:{self.published['recall']}"

    def container(self, component: str) -> str:
        """The name kube play gives a Deployment's first pod's container."""
        return f"somnia-{component}-pod-0-{component}"

    def start(self, timeout_s: float = 240.0) -> ChartPods:
        self.backends.start_backends()
        self.backends.wait_for_backends(timeout_s)
        self._workdir = tempfile.TemporaryDirectory(prefix="somnia-kube-")
        work = Path(self._workdir.name)
        secrets_dir = work / "secrets"
        (secrets_dir / "somnia-api-keys").mkdir(parents=True)
        (secrets_dir / "somnia-api-keys" / "api-keys.json").write_text(self.api_keys_file.read_text())
        for path in (secrets_dir, secrets_dir / "somnia-api-keys", secrets_dir / "somnia-api-keys" / "api-keys.json"):
            path.chmod(0o755 if path.is_dir() else 0o644)  # read by the pods' user 10001; hashes only
        podman_secret("somnia-weaviate", {"api-key": self.backends.weaviate_api_key})
        podman_secret("somnia-neo4j", {"password": self.backends.neo4j_password})
        docs = render_chart(self.repo, self.repo / "deploy" / "containers" / "kube-values.yaml")
        self.ignored = ignored_kinds(docs)
        self.published = {name: free_port() for name in PUBLIC}
        docs, self.changes = adapt(docs, secrets_dir, self.published)
        manifest = work / "somnia.yaml"
        manifest.write_text(yaml.safe_dump_all(docs))
        started = time.monotonic()
        engine.call(["kube", "play", f"--network={self.backends.network}", str(manifest)], timeout_s=300)
        self._wait_ready(timeout_s)
        self.seconds_to_ready = time.monotonic() - started
        return self

    def ready(self, component: str) -> bool:
        probe = ["exec", self.container(component), "python", "-m", "somnia_grpc_runtime.probe", "--readiness"]
        return engine.call(probe, check=False, timeout_s=30).returncode == 0

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        components = list(service_ports(self.repo))
        while not (
            all(self.ready(c) for c in components)
            and all(port_is_open("127.0.0.1", p) for p in self.published.values())
        ):
            if time.monotonic() > deadline:
                raise BackendError(f"the chart's pods were not ready after {timeout_s:.0f}s\n{self.logs_tail()}")
            time.sleep(1.0)

    def inspect(self, component: str, template: str) -> str:
        return engine.call(["inspect", f"--format={template}", self.container(component)]).stdout.strip()

    def logs_tail(self, lines: int = 15) -> str:
        out = []
        for component in service_ports(self.repo):
            logs = engine.call(["logs", f"--tail={lines}", self.container(component)], check=False)
            out.append(f"--- {component}\n{(logs.stdout + logs.stderr).strip()}")
        return "\n".join(out)

    def remove(self) -> None:
        if self._workdir is not None:
            manifest = Path(self._workdir.name) / "somnia.yaml"
            if manifest.exists():
                engine.call(["kube", "down", str(manifest)], check=False, timeout_s=120)
            self._workdir.cleanup()
        for name in ("somnia-weaviate", "somnia-neo4j"):
            engine.call(["secret", "rm", name], check=False)
        self.backends.remove()

    def __enter__(self) -> ChartPods:
        try:
            return self.start()
        except BaseException:
            self.remove()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()
