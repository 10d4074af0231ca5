"""What the container runners derive from the repository, checked without starting a container: the
collector configuration they run, and the chart output they hand to `podman kube play`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from somnia_backends import engine
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


def test_the_prune_counts_removed_images_in_either_engines_output(monkeypatch: pytest.MonkeyPatch) -> None:
    printed = {
        "podman": "3f1c2b4a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70\n9e8d7c6b5a49\n",
        "docker": (
            "Deleted Images:\nuntagged: localhost/somnia-capture@sha256:" + "a" * 64 + "\n"
            "deleted: sha256:" + "b" * 64 + "\ndeleted: sha256:" + "c" * 64 + "\n\nTotal reclaimed space: 1.2GB\n"
        ),
    }
    for name, stdout in printed.items():
        answer = subprocess.CompletedProcess(["prune"], 0, stdout, "")
        monkeypatch.setattr(engine, "call", lambda args, answer=answer, **_: answer)
        assert engine.prune_build_leftovers() == 2, name
