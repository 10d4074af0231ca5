"""The Helm chart: lint, render for the default values and each ci/ file, validate every manifest
against the Kubernetes schemas offline, and assert what operators rely on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).resolve().parents[1]
KUBE_VERSION = "1.31.0"
ROOT = CHART.parents[1]
VALUE_FILES = [
    None,
    *sorted((CHART / "ci").glob("*.yaml")),
    ROOT / "deploy" / "local-values.yaml",
    ROOT / "deploy" / "containers" / "kube-values.yaml",
]


class StrictLoader(yaml.SafeLoader):
    """Refuses a mapping that repeats a key: `helm template` lets one through (the last wins), `podman
    kube play` refuses the whole file, and what an API server keeps is up to its decoder."""


def _mapping_without_repeats(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key, deep=True) for key, _ in node.value]
    repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
    if repeated:
        raise yaml.constructor.ConstructorError(None, None, f"keys repeated in a mapping: {repeated}", node.start_mark)
    return loader.construct_mapping(node, deep=True)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


@pytest.fixture(scope="module")
def helm() -> Path:
    from somnia_backends import BackendError
    from somnia_backends.tools import helm_binary, install_helm

    if not helm_binary().is_file():
        try:
            return install_helm()
        except BackendError as exc:
            pytest.fail(f"Helm is needed for the chart tests: {exc}")
    return helm_binary()


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)


def render(helm: Path, values: Path | None, *extra: str) -> list[dict[str, Any]]:
    args = ["template", "somnia", str(CHART), "--kube-version", KUBE_VERSION, *extra]
    if values is not None:
        args += ["-f", str(values)]
    result = run_helm(helm, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.load_all(result.stdout, Loader=StrictLoader) if doc]


@pytest.mark.parametrize("values", VALUE_FILES, ids=lambda v: "defaults" if v is None else v.name)
def test_chart_lints_clean(helm: Path, values: Path | None) -> None:
    result = run_helm(helm, "lint", str(CHART), *(["-f", str(values)] if values else []))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values", VALUE_FILES, ids=lambda v: "defaults" if v is None else v.name)
def test_every_manifest_is_valid_kubernetes(helm: Path, values: Path | None) -> None:
    docs = render(helm, values)
    assert docs
    for doc in docs:
        if doc["apiVersion"].startswith("keda.sh/"):
            # A CRD: the offline Kubernetes schemas do not know it, so check what KEDA needs.
            assert doc["kind"] == "ScaledObject" and doc["spec"]["scaleTargetRef"]["name"]
            assert all(t["type"] == "nats-jetstream" and t["metadata"]["consumer"] for t in doc["spec"]["triggers"])
            continue
        if doc["apiVersion"] == "cert-manager.io/v1":  # a CRD as well: check what cert-manager needs
            assert doc["kind"] == "Certificate" and doc["spec"]["secretName"] and doc["spec"]["dnsNames"]
            assert doc["spec"]["issuerRef"]["name"]
            continue
        kubernetes_validate.validate(doc, KUBE_VERSION.rsplit(".", 1)[0], strict=True)


@pytest.mark.parametrize("values", VALUE_FILES, ids=lambda v: "defaults" if v is None else v.name)
def test_pods_are_locked_down_probed_and_pinned(helm: Path, values: Path | None) -> None:
    docs = render(helm, values)
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    policies = {
        d["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for d in docs if d["kind"] == "NetworkPolicy"
    }
    assert deployments
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        # Only dreaming, when it trains adapters as Jobs, talks to the Kubernetes API (its own Role).
        trains = name == "dreaming" and any(d["kind"] == "Role" for d in docs)
        assert pod["automountServiceAccountToken"] is trains
        assert name in policies, f"{name} has no NetworkPolicy"
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert not container["image"].endswith(":latest") and ":" in container["image"]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert "grpc" in container[probe], f"{name} lacks a gRPC {probe}"
            assert container["readinessProbe"]["grpc"]["service"] == "readiness"
            assert "service" not in container["livenessProbe"]["grpc"]
            env = {e["name"]: e for e in container["env"]}
            assert env["SOMNIA_SERVICE"]["value"] == env["OTEL_SERVICE_NAME"]["value"] == name
    service_accounts = [d for d in docs if d["kind"] == "ServiceAccount"]
    assert all(
        sa["automountServiceAccountToken"] is sa["metadata"]["name"].endswith("-dreaming") for sa in service_accounts
    )


def test_components_reach_only_the_backends(helm: Path) -> None:
    docs = render(helm, None)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    components = {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] for d in docs if d["kind"] == "Deployment"
    }
    # Checked below one by one: a chart that renders none (or misses a component) must fail here.
    assert policies, "the chart renders no NetworkPolicy"
    assert {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in policies} >= components
    for policy in policies:
        egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        assert egress_ports <= {53, 4222, 80, 8080, 50051, 7687, 4317}
        name = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        ingress_ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        public = {50051, 50052} & ingress_ports
        assert bool(public) == (name in {"capture", "recall"})  # agents reach only the public APIs
        assert ingress_ports - public == {9464}  # and Prometheus only /metrics


def test_extra_egress_is_added_to_every_component(helm: Path) -> None:
    docs = render(helm, CHART / "ci" / "production-values.yaml")
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert policies
    for policy in policies:
        ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}
        assert 8000 in ports


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "surprise=1"], "additional properties 'surprise' not allowed"),
        (["--set", "image.tag=latest"], "image.tag"),
        (["--set", "components.capture.grpcPort=70000"], "/components/capture/grpcPort"),
        (["--set", "nats.url=http://nats"], "/nats/url"),
        (["--set", "neo4j.password.existingSecret="], "neo4j.password.value or neo4j.password.existingSecret"),
        (["--set", "auth.apiKeys.existingSecret="], "no way to authenticate callers is set"),
        (["--set", "auth.mode=maybe"], "/auth/mode"),
        (["--set", "auth.jwt.jwksUrl=https://id.example/jwks"], "auth.jwt.issuer is required"),
        (["--set", "tls.enabled=true"], "tls.enabled needs tls.existingSecret"),
        (["--set", "auth.clientCerts.existingSecret=c"], "auth.clientCerts needs tls.enabled"),
    ],
)
def test_wrong_values_are_refused_with_a_message(helm: Path, args: list[str], message: str) -> None:
    result = run_helm(helm, "template", "somnia", str(CHART), "--kube-version", KUBE_VERSION, *args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_public_apis_get_identity_and_tls_and_probes_stay_plaintext(helm: Path) -> None:
    for values, tls in ((None, False), (CHART / "ci" / "tls-jwt-values.yaml", True)):
        for deployment in (d for d in render(helm, values) if d["kind"] == "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            name = deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
            container = pod["containers"][0]
            env = {e["name"]: e.get("value") for e in container["env"]}
            public = name in {"capture", "recall"}
            assert ("SOMNIA_AUTH_MODE" in env) == public
            if not public:
                continue
            assert env["SOMNIA_AUTH_MODE"] == "on"
            mounted = {m["mountPath"] for m in container["volumeMounts"]}
            if tls:
                assert env["SOMNIA_AUTH_JWKS_URL"] and env["SOMNIA_AUTH_JWT_ISSUER"]
                assert env["SOMNIA_TLS_CLIENT_CA_FILE"] == "/etc/somnia/tls/ca.crt"
                assert {"/etc/somnia/tls", "/etc/somnia/auth/client-certs"} <= mounted
                health = int(env["SOMNIA_TLS_HEALTH_PORT"])
                assert all(container[p]["grpc"]["port"] == health for p in ("startupProbe", "readinessProbe"))
            else:
                assert env["SOMNIA_AUTH_API_KEYS_FILE"] == "/etc/somnia/auth/api-keys/api-keys.json"
                assert "/etc/somnia/auth/api-keys" in mounted and "SOMNIA_TLS_CERT_FILE" not in env


def test_dashboards_query_only_metrics_the_services_export(helm: Path) -> None:
    import json
    import re

    from somnia_telemetry.metrics import create_metrics, exported_metric_names

    exported = exported_metric_names(create_metrics())
    dashboards = sorted((CHART / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                names = set(re.findall(r"\bsomnia_[a-z_]+", target["expr"]))
                assert names, f"{path.name}: panel {panel['title']!r} queries no Somnia metric"
                assert names <= exported, f"{path.name}: {panel['title']!r} queries {names - exported}"
    configmaps = [
        d for d in render(helm, None) if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("dashboards")
    ]
    assert configmaps and set(configmaps[0]["data"]) == {p.name for p in dashboards}


def test_keda_replaces_the_cpu_autoscaler_of_consumers_only(helm: Path) -> None:
    docs = render(helm, CHART / "ci" / "keda-and-cronjobs-values.yaml")
    scaled = {d["metadata"]["name"].removeprefix("somnia-") for d in docs if d["kind"] == "ScaledObject"}
    hpas = {d["metadata"]["name"].removeprefix("somnia-") for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert scaled == {"embedding", "graph", "cache-warming", "dreaming", "forgetting"}
    assert not scaled & hpas and {"capture", "recall"} <= hpas
    crons = {d["metadata"]["name"].removeprefix("somnia-"): d for d in docs if d["kind"] == "CronJob"}
    assert set(crons) == {"nightly-dream", "weekly-sweep"}
    for name, service, args in (
        ("nightly-dream", "dreaming", ["run", "--days", "1"]),
        ("weekly-sweep", "forgetting", ["sweep"]),
    ):
        pod = crons[name]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["containers"][0]["args"][: len(args)] == args
        assert {"name": "SOMNIA_SERVICE", "value": service} in pod["containers"][0]["env"]
        assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


# Services that run as Jobs, not Deployments: the trainer (launched by dreaming, parametric.enabled).
JOBS = {"trainer"}


def test_one_name_everywhere_folder_image_component() -> None:
    services = {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file()}
    components = set(yaml.safe_load((CHART / "values.yaml").read_text())["components"])
    skaffold = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    artifacts = {a["image"]: a["docker"]["buildArgs"]["SERVICE"] for a in skaffold["build"]["artifacts"]}
    assert services == components | JOBS == set(artifacts.values())
    assert all(image == f"somnia-{service}" for image, service in artifacts.items())
    values = yaml.safe_load((CHART / "values.yaml").read_text())["components"]
    for artifact in skaffold["build"]["artifacts"]:
        args = artifact["docker"]["buildArgs"]
        if args["SERVICE"] in JOBS:
            continue
        assert int(args["HEALTH_PORT"]) == values[args["SERVICE"]]["grpcPort"]


def test_each_component_connects_to_nats_as_its_own_user(helm: Path) -> None:
    from somnia_cli.nats_users import nats_authorization

    docs = render(helm, CHART / "ci" / "tls-jwt-values.yaml")
    (config,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-nats-authorization")]
    # The server's half is exactly what the registry gives today (`make asyncapi` refreshes it).
    assert config["data"]["authorization.conf"] == nats_authorization()
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        name = deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["SOMNIA_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "somnia-nats-users", "key": name}
        assert env["SOMNIA_NATS_URL"]["value"] == f"nats://{name}:$(SOMNIA_NATS_PASSWORD)@nats:4222"
        assert f'"user": "{name}"' in config["data"]["authorization.conf"]
    # Off (the default), a component gets the plain URL and no Secret is needed.
    for deployment in (d for d in render(helm, None) if d["kind"] == "Deployment"):
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "SOMNIA_NATS_PASSWORD" not in env and env["SOMNIA_NATS_URL"]["value"] == "nats://nats:4222"


def test_training_jobs_get_a_namespaced_role_and_dreaming_alone_a_token(helm: Path) -> None:
    manifests = render(
        helm,
        None,
        "--set",
        "parametric.enabled=true",
        "--set-json",
        'parametric.resources={"limits":{"nvidia.com/gpu":1}}',
    )
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert ("Role", "somnia-training-jobs") in kinds and ("RoleBinding", "somnia-training-jobs") in kinds
    assert not [m for m in manifests if m["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    (role,) = [m for m in manifests if m["kind"] == "Role"]
    assert {tuple(r["resources"]): set(r["verbs"]) for r in role["rules"]} == {
        ("jobs",): {"create", "get", "list", "watch", "delete"},
        ("pods",): {"get", "list"},
    }
    deployments = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Deployment"}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        trains = name == "somnia-dreaming"
        assert pod["automountServiceAccountToken"] is trains
        assert (pod["serviceAccountName"] == "somnia-dreaming") is trains
    env = {
        e["name"]: e.get("value")
        for e in deployments["somnia-dreaming"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["SOMNIA_PARAMETRIC_LAUNCHER"] == "kubernetes"
    assert json.loads(env["SOMNIA_PARAMETRIC_JOB_RESOURCES"]) == {"limits": {"nvidia.com/gpu": 1}}
    assert env["SOMNIA_PARAMETRIC_JOB_IMAGE"].startswith("somnia-trainer:")
    policies = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "NetworkPolicy"}
    assert "ingress" not in policies["somnia-trainer"]["spec"] and "egress" not in policies["somnia-trainer"]["spec"]
    api = [
        rule
        for rule in policies["somnia-dreaming"]["spec"]["egress"]
        if {"port": 6443, "protocol": "TCP"} in rule["ports"]
    ]
    assert api and not [
        r for r in policies["somnia-recall"]["spec"]["egress"] if {"port": 6443, "protocol": "TCP"} in r["ports"]
    ]
    assert not [m for m in render(helm, None) if m["kind"] in ("Role", "PersistentVolumeClaim")]
