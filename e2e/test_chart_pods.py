"""The chart's own output, run: `helm template` (deploy/containers/kube-values.yaml) played by `podman kube
play`, so the Deployments, environment, security contexts, volumes and Secrets that an operator's
`helm install` would start are the ones that start here; then capture, recall and a warm pack through
them over gRPC from the host. What kube play cannot take as rendered is adapted, each change named
(somnia_backends.kube_play)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth.testing import write_keys
from somnia_backends import ChartPods

from .test_containers import Fleet, capture, channel, eventually, recall, require_images

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.containers]
ROOT = Path(__file__).resolve().parents[1]
NS = "containers/agent/chart"


@pytest.fixture(scope="module")
def pods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChartPods, Fleet]]:
    require_images()
    keys_file = tmp_path_factory.mktemp("keys") / "api-keys.json"
    keys = write_keys(keys_file, {"fleet": (["containers/*"], ["capture", "recall", "feedback", "forget"])})
    with ChartPods(ROOT, keys_file) as running:
        yield running, Fleet(running.backends, keys["fleet"], running.capture, running.recall)


def test_the_charts_pods_start_as_rendered_locked_down(pods: tuple[ChartPods, Fleet]) -> None:
    running, _ = pods
    assert running.seconds_to_ready < 240
    # What kube play does not run, and what had to be adapted, is known and nothing more.
    assert set(running.ignored) >= {"NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"}
    assert all("secret volume" in c or "not published" in c for c in running.changes), running.changes
    for component in ("capture", "recall", "embedding", "graph", "cache-warming", "dreaming", "forgetting"):
        assert running.inspect(component, "{{.Config.User}}") == "10001:10001"
        assert running.inspect(component, "{{.HostConfig.ReadonlyRootfs}}") == "true"
        assert running.inspect(component, "{{.HostConfig.CapDrop}}").count("CAP_") >= 10  # drop: [ALL]


def test_the_charts_pods_capture_recall_and_warm_a_session(pods: tuple[ChartPods, Fleet]) -> None:
    _, fleet = pods
    capture(fleet, NS, "health", ["My doctor told me I am allergic to penicillin."])
    question = "Which antibiotic am I allergic to?"
    found = eventually(lambda: [i for i in recall(fleet, question, k=1, namespace=NS) if "penicillin" in i.text])
    assert found, "the turn captured through the chart's capture pod was never recalled through its recall pod"
    with channel(fleet, fleet.capture) as ch:
        capture_pb2_grpc.CaptureServiceStub(ch).StartSession(
            capture_pb2.StartSessionRequest(namespace=NS, session_id="next", agent="e2e", opening="An antibiotic?")
        )
    with channel(fleet, fleet.recall) as ch:
        stub = recall_pb2_grpc.RecallServiceStub(ch)
        request = recall_pb2.WarmCacheRequest(namespace=NS, session_id="next")
        pack = eventually(lambda: (p := stub.WarmCache(request)).from_cache and p)
    assert pack and "penicillin" in pack.rendered
