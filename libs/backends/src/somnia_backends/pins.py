"""Pinned versions and where installs are cached (outside the repository, shared across checkouts)."""

from __future__ import annotations

import os
from pathlib import Path

WEAVIATE_VERSION = "v1.36.0"
NEO4J_VERSION = "5.26.30"
JAEGER_VERSION = "v1.76.0"  # the module's tag; the program is Jaeger v2, an OpenTelemetry Collector build
HELM_VERSION = "v3.22.0"
KUBERNETES_VERSION = "v1.31.0"  # kube-apiserver, for `helm install` against a real API server
ETCD_VERSION = "v3.6.13"  # the last line that runs on Java 17; 2025.x needs Java 21


def cache_root() -> Path:
    return Path(os.environ.get("SOMNIA_CACHE", Path.home() / ".cache" / "somnia"))
