"""podman's Docker-compatible API on a private unix socket, so that testcontainers (which speaks the
Docker API) runs on a machine with podman and no Docker engine: `somnia-backends docker-api -- CMD`.

Where DOCKER_HOST is set or a Docker engine answers, the command simply runs against that.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from somnia_backends import engine
from somnia_backends.containers import docker_unavailable_reason
from somnia_backends.process import BackendError

# Ryuk (the reaper container) would need an image from a registry; fixtures stop their own containers.
TESTCONTAINERS_ENV = {"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_CONNECTION_MODE": "docker_host"}


@contextmanager
def podman_docker_api(directory: Path, timeout_s: float = 30.0) -> Iterator[str]:
    """Serve podman's Docker API on `directory`/podman.sock until the block ends; yields DOCKER_HOST."""
    socket_path = directory / "podman.sock"
    docker_host = f"unix://{socket_path}"
    log = (directory / "podman-service.log").open("wb")
    service = subprocess.Popen(
        [engine.engine(), "system", "service", "--time=0", docker_host], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + timeout_s
        previous = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = docker_host
        try:
            while (reason := docker_unavailable_reason()) is not None:
                if service.poll() is not None or time.monotonic() > deadline:
                    said = (directory / "podman-service.log").read_text()[-2000:]
                    raise BackendError(f"podman's Docker API did not answer: {reason}\n{said}")
                time.sleep(0.2)
        finally:
            if previous is None:
                os.environ.pop("DOCKER_HOST")
            else:
                os.environ["DOCKER_HOST"] = previous
        yield docker_host
    finally:
        service.terminate()
        try:
            service.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.kill()
        log.close()


def run_with_docker_api(command: Sequence[str]) -> int:
    """Run `command` with a Docker API in DOCKER_HOST (the one there is, else podman's); its exit code."""
    if not command:
        raise BackendError("give the command to run after --, e.g. `somnia-backends docker-api -- pytest ...`")
    env = {**os.environ, **TESTCONTAINERS_ENV}
    if os.environ.get("DOCKER_HOST") or docker_unavailable_reason() is None:
        return subprocess.call(list(command), env=env)
    with tempfile.TemporaryDirectory(prefix="somnia-docker-api-") as tmp, podman_docker_api(Path(tmp)) as host:
        return subprocess.call(list(command), env={**env, "DOCKER_HOST": host})
