"""Command-line tools the tests need that no wheel ships, built from their Go modules at a pin: Helm, and
Jaeger v2 (an OpenTelemetry Collector distribution with a trace store and query API)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from somnia_backends.pins import HELM_VERSION, JAEGER_VERSION, cache_root
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


def jaeger_binary(version: str = JAEGER_VERSION) -> Path:
    return cache_root() / "bin" / f"jaeger-{version}" / "jaeger"


def install_jaeger(version: str = JAEGER_VERSION) -> Path:
    """Jaeger's go.mod has replace directives, so `go install pkg@version` refuses it: it is built as a
    tool of a module of ours in the cache (about three minutes once; instant afterwards)."""
    binary = jaeger_binary(version)
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        raise BackendError("the Go toolchain is needed to build Jaeger; install Go 1.25 or newer")
    module = cache_root() / "go" / f"jaeger-{version}"
    module.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GOMODCACHE": str(cache_root() / "go" / "mod"),
        "GOCACHE": str(cache_root() / "go" / "build"),
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=mod",
    }
    package = "github.com/jaegertracing/jaeger/cmd/jaeger"
    steps = [
        [go, "mod", "init", "somnia.local/jaeger"] if not (module / "go.mod").exists() else None,
        [go, "get", "-tool", f"{package}@{version}"],
        [go, "build", "-o", str(binary), package],
    ]
    binary.parent.mkdir(parents=True, exist_ok=True)
    for argv in filter(None, steps):
        result = subprocess.run(argv, cwd=module, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackendError(f"building Jaeger {version} failed at `{' '.join(argv[1:3])}`:\n{result.stderr[-4000:]}")
    return binary
