"""Command-line tools the tests need that no wheel ships, built from their Go modules at a pin: Helm,
Jaeger v2 (an OpenTelemetry Collector distribution with a trace store and query API), and a Kubernetes
API server with its etcd (for `helm install` against a real API server)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from somnia_backends.pins import ETCD_VERSION, HELM_VERSION, JAEGER_VERSION, KUBERNETES_VERSION, cache_root
from somnia_backends.process import BackendError


def go_env(**extra: str) -> dict[str, str]:
    """Go's module and build caches under ~/.cache/somnia, static binaries, modules resolved as needed."""
    return {
        **os.environ,
        "GOMODCACHE": str(cache_root() / "go" / "mod"),
        "GOCACHE": str(cache_root() / "go" / "build"),
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=mod",
        **extra,
    }


def run_go(argv: list[str], what: str, *, cwd: Path | None = None, **extra_env: str) -> str:
    """`go argv` with go_env(); its stdout, or a BackendError that says which step of building `what` failed."""
    go = shutil.which("go")
    if go is None:
        raise BackendError(f"the Go toolchain is needed to build {what}; install Go 1.25 or newer")
    result = subprocess.run([go, *argv], cwd=cwd, env=go_env(**extra_env), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackendError(f"building {what} failed at `go {' '.join(argv[:2])}`:\n{result.stderr[-4000:]}")
    return result.stdout


def helm_binary(version: str = HELM_VERSION) -> Path:
    return cache_root() / "bin" / f"helm-{version}" / "helm"


def install_helm(version: str = HELM_VERSION) -> Path:
    """`go install helm.sh/helm/v3/cmd/helm@<pin>` into the cache (a few minutes once; instant afterwards)."""
    binary = helm_binary(version)
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    run_go(["install", f"helm.sh/helm/v3/cmd/helm@{version}"], f"Helm {version}", GOBIN=str(binary.parent))
    return binary


def jaeger_binary(version: str = JAEGER_VERSION) -> Path:
    return cache_root() / "bin" / f"jaeger-{version}" / "jaeger"


def install_jaeger(version: str = JAEGER_VERSION) -> Path:
    """Jaeger's go.mod has replace directives, so `go install pkg@version` refuses it: it is built as a
    tool of a module of ours in the cache (about three minutes once; instant afterwards)."""
    binary = jaeger_binary(version)
    if binary.is_file():
        return binary
    module = cache_root() / "go" / f"jaeger-{version}"
    module.mkdir(parents=True, exist_ok=True)
    what = f"Jaeger {version}"
    if not (module / "go.mod").exists():
        run_go(["mod", "init", "somnia.local/jaeger"], what, cwd=module)
    package = "github.com/jaegertracing/jaeger/cmd/jaeger"
    run_go(["get", "-tool", f"{package}@{version}"], what, cwd=module)
    binary.parent.mkdir(parents=True, exist_ok=True)
    run_go(["build", "-o", str(binary), package], what, cwd=module)
    return binary


def kube_apiserver_binary(version: str = KUBERNETES_VERSION) -> Path:
    return cache_root() / "bin" / f"kubernetes-{version}" / "kube-apiserver"


def install_kube_apiserver(version: str = KUBERNETES_VERSION) -> Path:
    """kube-apiserver from k8s.io/kubernetes. That module requires its staging modules (k8s.io/api, ...)
    at v0.0.0 and resolves them with replace directives to its own tree, which a dependent module does
    not get: our module replaces each with its published release (v0.31.0 for v1.31.0). The version
    is stamped in, as the release build does, so clients (helm's kubeVersion check) see it."""
    binary = kube_apiserver_binary(version)
    if binary.is_file():
        return binary
    module = cache_root() / "go" / f"kubernetes-{version}"
    module.mkdir(parents=True, exist_ok=True)
    what = f"kube-apiserver {version}"
    if not (module / "go.mod").exists():
        run_go(["mod", "init", "somnia.local/kubernetes"], what, cwd=module)
        found = json.loads(run_go(["mod", "download", "-json", f"k8s.io/kubernetes@{version}"], what, cwd=module))
        staging = [
            line.split()[0] for line in Path(found["GoMod"]).read_text().splitlines() if "=> ./staging/src/" in line
        ]
        release = "v0." + version.removeprefix("v1.")
        replaces = "".join(f"\t{name} => {name} {release}\n" for name in staging)
        with (module / "go.mod").open("a") as go_mod:
            go_mod.write(f"\nreplace (\n{replaces})\n")
    package = "k8s.io/kubernetes/cmd/kube-apiserver"
    run_go(["get", "-tool", f"{package}@{version}"], what, cwd=module)
    major, minor = version.removeprefix("v").split(".")[:2]
    stamp = "k8s.io/component-base/version"
    ldflags = f"-X {stamp}.gitVersion={version} -X {stamp}.gitMajor={major} -X {stamp}.gitMinor={minor}"
    binary.parent.mkdir(parents=True, exist_ok=True)
    run_go(["build", "-ldflags", ldflags, "-o", str(binary), package], what, cwd=module)
    return binary


ETCD_MAIN = """package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""


def etcd_binary(version: str = ETCD_VERSION) -> Path:
    return cache_root() / "bin" / f"etcd-{version}" / "etcd"


def install_etcd(version: str = ETCD_VERSION) -> Path:
    """etcd's own main module has replace directives too: a three-line main over its published server."""
    binary = etcd_binary(version)
    if binary.is_file():
        return binary
    module = cache_root() / "go" / f"etcd-{version}"
    module.mkdir(parents=True, exist_ok=True)
    what = f"etcd {version}"
    if not (module / "go.mod").exists():
        run_go(["mod", "init", "somnia.local/etcd"], what, cwd=module)
    (module / "main.go").write_text(ETCD_MAIN)
    run_go(["get", f"go.etcd.io/etcd/server/v3@{version}"], what, cwd=module)
    binary.parent.mkdir(parents=True, exist_ok=True)
    run_go(["build", "-o", str(binary), "."], what, cwd=module)
    return binary
