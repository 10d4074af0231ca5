"""Command-line tools the tests need that no wheel ships: Helm, built from its Go module at a pin."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from somnia_backends.pins import HELM_VERSION, cache_root
from somnia_backends.process import BackendError


def helm_binary(version: str = HELM_VERSION) -> Path:
    return cache_root() / "bin" / f"helm-{version}" / "helm"


def install_helm(version: str = HELM_VERSION) -> Path:
    """`go install helm.sh/helm/v3/cmd/helm@<pin>` into the cache (a few minutes once; instant afterwards)."""
    binary = helm_binary(version)
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        raise BackendError("the Go toolchain is needed to build Helm; install Go 1.25 or newer")
    env = {
        **os.environ,
        "GOBIN": str(binary.parent),
        "GOMODCACHE": str(cache_root() / "go" / "mod"),
        "GOCACHE": str(cache_root() / "go" / "build"),
        "CGO_ENABLED": "0",
    }
    binary.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [go, "install", f"helm.sh/helm/v3/cmd/helm@{version}"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0 or not binary.is_file():
        raise BackendError(f"building Helm {version} failed:\n{result.stderr[-4000:]}")
    return binary
