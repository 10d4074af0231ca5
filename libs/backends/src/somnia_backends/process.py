"""A server child process that dies with its parent and is stopped with SIGTERM, then SIGKILL."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from somnia_nats_server import die_with_parent


class BackendError(RuntimeError):
    """A backend could not be installed or started; the message says why and where the log is."""


class ServerProcess:
    def __init__(self, name: str, log_file: Path) -> None:
        self.name = name
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise BackendError(f"{self.name} exited ({code}) before {what}; see {self.log_file}")
            if ready():
                return
            time.sleep(0.2)
        self.stop()
        raise BackendError(f"{self.name} was not {what} after {timeout_s:.0f}s; see {self.log_file}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 30.0) -> None:
        if not self.running:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()
