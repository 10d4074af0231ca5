"""Run NATS and every service as child processes, watch their health, restart the ones that die,
and stop them all (services first, NATS last) when asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from somnia_auth import ensure_local_key
from somnia_grpc_runtime import serving
from somnia_nats_server import NatsServer, NatsServerError, die_with_parent

from somnia_cli.nats_users import OPERATOR, nats_url, nats_users
from somnia_cli.settings import CliSettings


@dataclass(frozen=True)
class ServiceSpec:
    """One service process: its folder name (= module = OTEL_SERVICE_NAME) and its gRPC port."""

    name: str
    module: str
    port: int
    env: dict[str, str]
    # Background work (linking, warming) runs only on CPU time the hot path leaves idle (SCHED_IDLE on
    # Linux), so on a machine of few cores capture, embedding and recall keep their speed under load,
    # and linking catches up when the load eases.
    background: bool = False


def run_in_background(pid: int) -> None:
    """SCHED_IDLE where the kernel has it (Linux); elsewhere the lowest nice."""
    try:
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, pid, 19)


@dataclass
class ServiceState:
    spec: ServiceSpec
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    healthy: bool = False
    next_start: float = 0.0
    started_at: float = field(default_factory=time.monotonic)


def common_env(settings: CliSettings, nats_user: str = OPERATOR) -> dict[str, str]:
    """What every Somnia process on this machine needs to find NATS (as `nats_user`) and the stores."""
    store_dir = str(settings.home / "store")
    return {
        "SOMNIA_NATS_URL": nats_url(settings.host, settings.nats_port, settings.auth_dir, nats_user),
        "SOMNIA_STORE_DATA_DIR": store_dir,
        "SOMNIA_GRAPH_DATA_DIR": store_dir,
        # The key file `somnia up` keeps, unless the operator points at their own.
        "SOMNIA_AUTH_API_KEYS_FILE": str(settings.keys_file),
    }


def recall_threads(workers: int) -> dict[str, str]:
    """With several recall workers, each one's query embedding gets its share of the cores (by default
    onnxruntime takes them all, and two workers would each spin up threads for every core)."""
    if workers == 1 or "SOMNIA_EMBEDDER_THREADS" in os.environ:
        return {}
    return {"SOMNIA_EMBEDDER_THREADS": str(max(1, (os.cpu_count() or 1) // workers))}


def recall_reads() -> dict[str, str]:
    """Recall makes many small store reads per query; on the event loop's thread each costs less than
    the hop to a worker thread (about a sixth of a recall's CPU on LoCoMo-size namespaces). Only the
    recall workers, and only where the operator has not set it."""
    wanted = ("SOMNIA_STORE_INLINE_READS", "SOMNIA_GRAPH_INLINE_READS")
    return {name: "true" for name in wanted if name not in os.environ}


def service_specs(settings: CliSettings) -> list[ServiceSpec]:
    def common_as(name: str) -> dict[str, str]:
        return common_env(settings, nats_user=name)

    return [
        ServiceSpec(
            "capture",
            "somnia_capture",
            settings.capture_port,
            {
                **common_as("capture"),
                "SOMNIA_CAPTURE_HOST": settings.host,
                "SOMNIA_CAPTURE_PORT": str(settings.capture_port),
            },
        ),
        ServiceSpec(
            "embedding",
            "somnia_embedding",
            settings.embedding_health_port,
            {
                **common_as("embedding"),
                "SOMNIA_EMBEDDING_HEALTH_HOST": settings.host,
                "SOMNIA_EMBEDDING_HEALTH_PORT": str(settings.embedding_health_port),
            },
        ),
        ServiceSpec(
            "graph",
            "somnia_graph",
            settings.graph_health_port,
            {
                **common_as("graph"),
                "SOMNIA_GRAPH_SERVICE_HEALTH_HOST": settings.host,
                "SOMNIA_GRAPH_SERVICE_HEALTH_PORT": str(settings.graph_health_port),
            },
            background=True,
        ),
        ServiceSpec(
            "cache-warming",
            "somnia_cache_warming",
            settings.cache_warming_health_port,
            {
                **common_as("cache-warming"),
                "SOMNIA_CACHE_WARMING_HEALTH_HOST": settings.host,
                "SOMNIA_CACHE_WARMING_HEALTH_PORT": str(settings.cache_warming_health_port),
            },
            background=True,
        ),
        ServiceSpec(
            "forgetting",
            "somnia_forgetting",
            settings.forgetting_health_port,
            {
                **common_as("forgetting"),
                "SOMNIA_FORGETTING_HEALTH_HOST": settings.host,
                "SOMNIA_FORGETTING_HEALTH_PORT": str(settings.forgetting_health_port),
            },
            background=True,
        ),
        # Dream runs asked for over NATS: a retrain after forgetting made an adapter stale, mainly
        # (`somnia dream` itself runs a dream in its own process).
        ServiceSpec(
            "dreaming",
            "somnia_dreaming",
            settings.dreaming_health_port,
            {
                **common_as("dreaming"),
                "SOMNIA_DREAMING_HEALTH_HOST": settings.host,
                "SOMNIA_DREAMING_HEALTH_PORT": str(settings.dreaming_health_port),
            },
            background=True,
        ),
        *(
            ServiceSpec(
                "recall" if worker == 1 else f"recall-{worker}",
                "somnia_recall",
                settings.recall_port,
                {
                    **common_as("recall"),
                    "SOMNIA_RECALL_HOST": settings.host,
                    "SOMNIA_RECALL_PORT": str(settings.recall_port),
                    "OTEL_SERVICE_NAME": "recall",  # one service in the traces, however many workers
                    # Workers share the cores: each embeds queries on its share, not all of them.
                    **recall_threads(settings.recall_workers),
                    **recall_reads(),
                },
            )
            for worker in range(1, settings.recall_workers + 1)
        ),
    ]


def check_health(host: str, port: int, timeout_s: float = 1.0, service: str = "") -> bool:
    """Liveness by default; `service="readiness"` asks whether the process reaches what it needs."""
    return serving(f"{host}:{port}", timeout_s, service)


class Supervisor:
    def __init__(self, settings: CliSettings) -> None:
        self.settings = settings
        self.logs = settings.home / "logs"
        self.nats = NatsServer(
            settings.home / "nats",
            host=settings.host,
            port=settings.nats_port,
            monitor_port=settings.nats_monitor_port,
            log_file=self.logs / "nats-server.log",
            users=nats_users(settings.auth_dir),  # each service publishes only its own events
        )
        self.services = [ServiceState(spec) for spec in service_specs(settings)]
        self._stopping = False
        # NATS is supervised like a service: restarted (same port, same JetStream directory) with backoff.
        self.nats_restarts = 0
        self._nats_next_start: float | None = None

    def start(self) -> None:
        # Memories, streams, keys and logs live here: owner only, like ~/.ssh.
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.settings.home.chmod(0o700)
        self.logs.mkdir(parents=True, exist_ok=True)
        # First start: an admin key over every namespace, which the CLI on this machine then uses
        # (unless the operator brings their own key file).
        if self.settings.auth_api_keys_file is None:
            ensure_local_key(self.settings.auth_dir)
        self.nats.start()
        for state in self.services:
            self._spawn(state)

    def _spawn(self, state: ServiceState) -> None:
        env = {**os.environ, "OTEL_SERVICE_NAME": state.spec.name, **state.spec.env, "PYTHONUNBUFFERED": "1"}
        log = (self.logs / f"{state.spec.name}.log").open("ab")
        state.process = subprocess.Popen(
            [sys.executable, "-m", state.spec.module],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: the terminal's Ctrl-C reaches only us, and we stop children in order.
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        log.close()
        if state.spec.background:
            run_in_background(state.process.pid)
        state.healthy = False
        state.started_at = time.monotonic()

    def poll_nats(self) -> list[str]:
        """Reap a nats-server that exited and start it again after a growing delay; acknowledged messages
        are on disk (sync_interval: always), so the services' consumers carry on where they were."""
        if self._stopping:
            return []
        if self._nats_next_start is None:
            code = self.nats.exit_code()
            if code is None:
                return []
            delay = min(30.0, 2.0**self.nats_restarts) if self.nats_restarts else 0.0
            self._nats_next_start = time.monotonic() + delay
            self.nats_restarts += 1
            return [f"nats-server exited with {code}; restarting in {delay:.0f}s (log: {self.nats.log_file})"]
        if time.monotonic() < self._nats_next_start:
            return []
        try:
            self.nats.start()
        except NatsServerError as exc:
            self._nats_next_start = time.monotonic() + min(30.0, 2.0**self.nats_restarts)
            self.nats_restarts += 1
            return [f"nats-server did not come back ({exc}); trying again"]
        self._nats_next_start = None
        return [f"nats-server is serving again on {self.nats.url}"]

    def poll(self) -> list[str]:
        """Check every child once (NATS first); restart the dead with backoff. Returns events worth printing."""
        events = self.poll_nats()
        for state in self.services:
            process = state.process
            if process is not None and process.poll() is not None and not self._stopping:
                delay = min(30.0, 2.0**state.restarts)
                events.append(
                    f"{state.spec.name} exited with {process.returncode}; restarting in {delay:.0f}s "
                    f"(log: {self.logs / (state.spec.name + '.log')})"
                )
                state.process = None
                state.healthy = False
                state.next_start = time.monotonic() + delay
                state.restarts += 1
            elif process is None and time.monotonic() >= state.next_start and not self._stopping:
                self._spawn(state)
            elif process is not None:
                was = state.healthy
                state.healthy = check_health(self.settings.host, state.spec.port, timeout_s=0.5)
                if state.healthy and not was:
                    events.append(f"{state.spec.name} is serving on {self.settings.host}:{state.spec.port}")
        return events

    @property
    def operator_url(self) -> str:
        """NATS as the operator (every permission): for status, benchmarks and tests; never log it."""
        return nats_url(self.settings.host, self.settings.nats_port, self.settings.auth_dir, OPERATOR)

    def all_healthy(self) -> bool:
        return self._nats_next_start is None and all(s.healthy for s in self.services)

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stopping = True
        running = [s.process for s in self.services if s.process is not None and s.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.nats.stop()

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"
