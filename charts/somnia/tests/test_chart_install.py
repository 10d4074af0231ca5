"""`helm install` against a real Kubernetes API server (kube-apiserver and etcd built from their Go
modules, on loopback): every object the chart renders is admitted and validated by the server itself.
Nothing is scheduled (no kubelet); the pods run under `podman kube play` (e2e/test_chart_pods.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from somnia_backends import KubeApiServer

pytestmark = pytest.mark.integration
CHART = Path(__file__).resolve().parents[1]
ROOT = CHART.parents[1]
# Values whose objects are all built-in kinds. The KEDA and cert-manager files also render CRD kinds
# (ScaledObject, Certificate), which an API server refuses until those operators' CRDs are installed.
INSTALLABLE = {
    "defaults": None,
    "minimal": CHART / "ci" / "minimal-values.yaml",
    "production": CHART / "ci" / "production-values.yaml",
    "local": ROOT / "deploy" / "local-values.yaml",
    "kube-play": ROOT / "deploy" / "containers" / "kube-values.yaml",
}


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    with KubeApiServer(tmp_path_factory.mktemp("kube")) as server:
        yield server


def helm(server: KubeApiServer, *args: str) -> subprocess.CompletedProcess[str]:
    from somnia_backends.tools import install_helm

    argv = [str(install_helm()), "--kubeconfig", str(server.kubeconfig), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", list(INSTALLABLE))
def test_helm_install_is_admitted_by_a_real_api_server(api_server: KubeApiServer, name: str) -> None:
    values = INSTALLABLE[name]
    namespace = f"somnia-{name}"
    args = ["install", "somnia", str(CHART), "-n", namespace, "--create-namespace"]
    installed = helm(api_server, *args, *(["-f", str(values)] if values else []))
    assert installed.returncode == 0 and "STATUS: deployed" in installed.stdout, installed.stderr
    deployments = api_server.get(f"apis/apps/v1/namespaces/{namespace}/deployments")["items"]
    assert len(deployments) == 7
    for deployment in deployments:  # what the server stored is what the chart asked for
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    policies = api_server.get(f"apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies")["items"]
    assert len(policies) == 7
    assert helm(api_server, "uninstall", "somnia", "-n", namespace).returncode == 0


def test_the_crd_kinds_are_refused_until_their_operators_are_installed(api_server: KubeApiServer) -> None:
    refused = helm(
        api_server,
        *("install", "somnia", str(CHART), "-n", "somnia-keda", "--create-namespace"),
        *("-f", str(CHART / "ci" / "keda-and-cronjobs-values.yaml")),
    )
    assert refused.returncode != 0 and 'no matches for kind "ScaledObject"' in refused.stderr
    assert api_server.version() == "v1.31.0"
