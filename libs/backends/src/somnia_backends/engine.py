"""The container engine on this machine: podman by default (docker works too, SOMNIA_CONTAINER_ENGINE),
called as a command line so the same calls work with either."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence

from somnia_backends.process import BackendError


def engine() -> str:
    name = os.environ.get("SOMNIA_CONTAINER_ENGINE", "podman")
    path = shutil.which(name)
    if path is None:
        raise BackendError(f"no container engine: `{name}` is not on PATH (`make containers-install` installs podman)")
    return path


def engine_unavailable_reason() -> str | None:
    """None when the engine runs a command; otherwise why not, in words."""
    try:
        result = subprocess.run([engine(), "info", "--format", "json"], capture_output=True, text=True, timeout=60)
    except (BackendError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if result.returncode == 0 else f"`{engine()} info` failed: {result.stderr.strip()[-500:]}"


def call(
    args: Sequence[str], *, timeout_s: float | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `<engine> args`; a failure raises BackendError with what the engine said."""
    result = subprocess.run([engine(), *args], capture_output=True, text=True, timeout=timeout_s)
    if check and result.returncode != 0:
        said = (result.stderr or result.stdout).strip()[-4000:]
        raise BackendError(f"`{os.path.basename(engine())} {' '.join(args[:3])} ...` failed: {said}")
    return result


def image_exists(tag: str) -> bool:
    return call(["image", "inspect", tag], check=False).returncode == 0


def image_size(tag: str) -> int:
    """Bytes the image takes unpacked, as the engine reports it."""
    found = json.loads(call(["image", "inspect", tag]).stdout)
    return int(found[0]["Size"])


BUILT_BY_LABEL = "io.somnia.built-by"
_PRUNED_ID = re.compile(r"(?:deleted: )?(?:sha256:)?[0-9a-f]{12,64}")


def prune_build_leftovers() -> int:
    """Remove the untagged images our Dockerfiles left (earlier builds' stages, images a rebuild replaced).

    Every build leaves its multi-stage `build` stage and the image it replaced untagged; over repeated
    `make images` runs they filled tens of GB. Only images carrying our label go, never another project's.
    Returns how many were removed."""
    result = call(["image", "prune", "--force", "--filter", f"label={BUILT_BY_LABEL}"])
    # podman prints one id a line; docker prints "Deleted Images:", "deleted: sha256:..." and a total.
    return sum(1 for line in result.stdout.splitlines() if _PRUNED_ID.fullmatch(line.strip()))
