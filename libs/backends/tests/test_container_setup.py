"""What the container runners derive from the repository, checked without starting a container: the
collector configuration they run, and the chart output they hand to `podman kube play`."""

from __future__ import annotations

from pathlib import Path

import yaml
from somnia_backends.kube_play import adapt, ignored_kinds, render_chart
from somnia_backends.system import collector_config

ROOT = Path(__file__).resolve().parents[3]


def test_the_collector_runs_the_projects_traces_pipeline_as_written() -> None:
    written = yaml.safe_load((ROOT / "deploy" / "observability" / "otel-collector.yaml").read_text())
    derived = collector_config(ROOT)
    assert derived["service"]["pipelines"] == {"traces": written["service"]["pipelines"]["traces"]}
    for section in ("receivers", "processors", "exporters"):
        for name, spec in derived[section].items():
            assert spec == written[section][name]  # nothing rewritten, only left out
    assert "prometheus" not in derived["receivers"] and "prometheusremotewrite" not in derived["exporters"]


def test_kube_play_gets_the_charts_output_with_only_the_named_changes(tmp_path: Path) -> None:
    docs = render_chart(ROOT, ROOT / "deploy" / "containers" / "kube-values.yaml")
    before = yaml.safe_dump_all(docs)
    adapted, changes = adapt(docs, tmp_path, {"capture": 41051, "recall": 41052})
    deployments = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in adapted if d["kind"] == "Deployment"}
    assert len(deployments) == 7
    for name, pod in deployments.items():
        assert not [v for v in pod.get("volumes", []) if "secret" in v]
        ports = pod["containers"][0]["ports"]
        if name.endswith(("-capture", "-recall")):
            assert [(p["name"], p["hostIP"]) for p in ports] == [("grpc", "127.0.0.1")]
            assert ports[0]["hostPort"] in (41051, 41052)
        else:
            assert ports == []
        # Everything else stays as rendered: the security context, environment and probes.
        assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
    assert changes and all("secret volume" in c or "not published" in c for c in changes)
    assert sum("secret volume" in c for c in changes) == 2  # the api-keys Secret of capture and recall
    assert before != yaml.safe_dump_all(adapted)
    assert {"NetworkPolicy", "PodDisruptionBudget", "Service"} <= set(ignored_kinds(adapted))
