"""The whole system as containers (the images `make images` builds): NATS, Weaviate, Neo4j and every
service on one network, read-only, as user 10001, with no capabilities and tini as PID 1; driven over
gRPC from the host the way a fleet drives it. Dreams and sweeps run inside their service's container, as
an operator's `kubectl exec` or CronJob runs them."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_channel
from somnia_auth.testing import write_keys
from somnia_backends import ContainerSystem

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.containers]
ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
NS = "containers/agent/alice"
CHAOS_NS = "containers/agent/chaos"
SESSIONS = {
    "trip": "We are planning a trip to Kyoto in April to see the cherry blossoms.",
    "health": "My doctor told me I am allergic to penicillin.",
    "work": "The nightly ETL job crashes because the Postgres connection pool is exhausted.",
}
FERRY = {
    f"commute-{n}": f"The Vashon ferry was late again on {day}, so I missed standup."
    for n, day in enumerate(("Monday", "Wednesday", "Friday"))
}


def require_images() -> None:
    """Fail (under `make test`) or skip when the engine or an image from `make images` is missing."""
    from somnia_backends import backend_images, engine_unavailable_reason, image_exists, service_images

    reason = engine_unavailable_reason()
    wanted = [*service_images(ROOT).values(), *backend_images().values()]
    missing = [] if reason else [image for image in wanted if not image_exists(image)]
    if reason or missing:
        why = reason or f"images not built ({', '.join(missing)}): run `make images`"
        if os.environ.get("SOMNIA_REQUIRE_BACKENDS") == "1":
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    from somnia_backends import BackendError

    require_images()
    keys_file = tmp_path_factory.mktemp("keys") / "api-keys.json"
    keys = write_keys(keys_file, {"fleet": (["containers/*"], ["capture", "recall", "feedback", "forget"])})
    found = ContainerSystem(ROOT, keys_file, tracing=True)
    try:
        found.start()
    except BackendError:
        found.remove()
        raise
    yield Fleet(found, keys["fleet"], found.capture, found.recall)
    found.remove()


@dataclass
class Fleet:
    """A running system, where its public APIs listen on the host, and the API key its callers hold."""

    system: ContainerSystem
    key: str
    capture: str
    recall: str


def channel(fleet: Fleet, address: str) -> grpc.Channel:
    return open_channel(address, token=fleet.key)


def capture(fleet: Fleet, namespace: str, session: str, texts: list[str], first: int = 0) -> None:
    with channel(fleet, fleet.capture) as ch:
        capture_pb2_grpc.CaptureServiceStub(ch).Capture(
            capture_pb2.CaptureRequest(
                namespace=namespace,
                session_id=session,
                turns=[
                    capture_pb2.Turn(turn_id=f"{session}-{first + i}", role=capture_pb2.ROLE_USER, content=text)
                    for i, text in enumerate(texts)
                ],
            ),
            timeout=30,
        )


def recall(fleet: Fleet, query: str, k: int = 5, namespace: str = NS) -> list[recall_pb2.RecalledItem]:
    with channel(fleet, fleet.recall) as ch:
        try:
            return list(
                recall_pb2_grpc.RecallServiceStub(ch)
                .Recall(recall_pb2.RecallRequest(namespace=namespace, query=query, k=k))
                .items
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return []  # nothing stored in the namespace yet
            raise


def eventually(check: Callable[[], T], timeout_s: float = 90, every_s: float = 0.5) -> T:
    deadline = time.monotonic() + timeout_s
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(every_s)
    return found


def recalled_from(fleet: Fleet, question: str, session: str) -> list[recall_pb2.RecalledItem]:
    """The top item for the question, if it is a turn of the session."""
    return [i for i in recall(fleet, question, k=1) if i.provenance.turn_id.startswith(f"{session}-")]


def events(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_turns_captured_over_grpc_are_recalled_and_warm_the_next_session(fleet: Fleet) -> None:
    for session, text in SESSIONS.items():
        capture(fleet, NS, session, [text])
    for question, session in {
        "Which antibiotic am I allergic to?": "health",
        "Where are we travelling in spring?": "trip",
        "why does the nightly ETL job crash?": "work",
    }.items():
        top = eventually(partial(recalled_from, fleet, question, session))
        assert top, f"{question!r} never recalled its session {session}"
    with channel(fleet, fleet.capture) as ch:
        capture_pb2_grpc.CaptureServiceStub(ch).StartSession(
            capture_pb2.StartSessionRequest(
                namespace=NS, session_id="next", agent="e2e", opening="Can you prescribe an antibiotic?"
            )
        )
    with channel(fleet, fleet.recall) as ch:
        stub = recall_pb2_grpc.RecallServiceStub(ch)
        pack = eventually(
            lambda: (p := stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id="next"))).from_cache and p
        )
    assert pack, "cache-warming stored no pack for the started session"
    assert "penicillin" in pack.rendered
    assert all(layer.token_count <= layer.budget + layer.carried for layer in pack.layers)


def test_a_dream_in_its_container_makes_an_insight_and_forget_rewrites_it(fleet: Fleet) -> None:
    for session, text in FERRY.items():
        capture(fleet, NS, session, [text])
    assert eventually(lambda: len([i for i in recall(fleet, "vashon ferry late", k=10) if i.kind == "episodic"]) >= 3)
    time.sleep(5)  # the graph service links the sessions' entities (what dreaming reads) after embedding
    code, output = fleet.system.exec(
        "dreaming", "python", "-m", "somnia_dreaming", "run", "--namespace", NS, "--run-id", "c1", "--progress", "jsonl"
    )
    assert code == 0, output
    assert any(e.get("event") == "done" and e.get("status") == "finished" for e in events(output)), output
    topics = [
        i
        for i in recall(fleet, "vashon ferry late", k=5)
        if i.kind == "semantic" and "Recurring topic across 3" in i.text
    ]
    assert topics and len(topics[0].provenance.derived_from) == 3, topics
    with channel(fleet, fleet.recall) as ch:
        forgot = recall_pb2_grpc.RecallServiceStub(ch).Forget(
            recall_pb2.ForgetRequest(namespace=NS, session_id="commute-0", reason="e2e")
        )
    assert forgot.memories >= 1 and forgot.insights_rebuilt >= 1, forgot
    after = recall(fleet, "vashon ferry late monday", k=10)
    assert not any("Monday" in i.text for i in after)
    assert all(len(i.provenance.derived_from) == 2 for i in after if "Recurring topic" in i.text)


def test_a_sweep_in_its_container_reports_what_it_archived(fleet: Fleet) -> None:
    code, output = fleet.system.exec("forgetting", "python", "-m", "somnia_forgetting", "sweep", "--namespace", NS)
    assert code == 0, output
    swept = [e for e in events(output) if e.get("event") == "swept"]
    assert (
        swept and swept[0]["hot_after"] == swept[0]["hot_before"] - swept[0]["archived"] and swept[0]["hot_before"] >= 5
    ), output


def test_a_captured_turn_is_one_trace_through_the_collector(fleet: Fleet) -> None:
    """Spans from capture, embedding and graph, sent through the project's collector configuration (its
    traces pipeline) to a trace backend, arrive as one trace: Capture -> JetStream -> embed -> store ->
    graph link."""
    capture(fleet, NS, "traced", ["The quarterly review moved to the Tuesday after Easter."])
    assert eventually(lambda: recall(fleet, "when is the quarterly review?", k=1))

    def the_trace() -> dict[str, Any] | None:
        for trace in fleet.system.traces("capture"):
            tags = [{t["key"]: t["value"] for t in span["tags"]} for span in trace["spans"]]
            if any(t.get("somnia.turn_id") == "traced-0" for t in tags):
                services = {trace["processes"][s["processID"]]["serviceName"] for s in trace["spans"]}
                if {"capture", "embedding", "graph"} <= services:
                    return trace
        return None

    trace = eventually(the_trace, timeout_s=60, every_s=1)
    assert trace, "no trace of the captured turn reached the trace backend with capture, embedding and graph spans"
    names = [span["operationName"] for span in trace["spans"]]
    hops = ("CaptureService/Capture", "embedding.index_turn", "embedder.embed", "memory_store.upsert", "graph.link")
    for expected in hops:
        assert any(expected in name for name in names), (expected, names)
    assert len({span["traceID"] for span in trace["spans"]}) == 1
    probes_only = [t for t in fleet.system.traces("capture") if all("Health" in s["operationName"] for s in t["spans"])]
    assert not probes_only, "health probes are traced: they would bury the real calls"


def test_every_dashboard_panel_finds_its_series_in_the_running_services(fleet: Fleet) -> None:
    """What the dashboards query, scraped from the services' /metrics after the traffic above, a refused
    capture and a feedback report (labelled counters have no series until they first count)."""
    from somnia_backends import service_ports

    with pytest.raises(grpc.RpcError) as refused:
        capture(fleet, "elsewhere/agent/bob", "s", ["not mine to write"])
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    helped = recall(fleet, "penicillin", k=1)[0]
    with channel(fleet, fleet.recall) as ch:
        helped_signal = recall_pb2.FEEDBACK_SIGNAL_HELPED
        report = recall_pb2.FeedbackRequest(namespace=NS, memory_id=helped.memory_id, signal=helped_signal)
        recall_pb2_grpc.RecallServiceStub(ch).Feedback(report)

    series: dict[str, float] = {}
    for service in service_ports(ROOT):
        for line in fleet.system.metrics(service).splitlines():
            if line.startswith("somnia_"):
                name = re.split(r"[{ ]", line, maxsplit=1)[0]
                series[name] = series.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    queried: dict[str, set[str]] = {}
    for path in sorted((ROOT / "charts" / "somnia" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                for name in re.findall(r"\bsomnia_[a-z_]+", target["expr"]):
                    queried.setdefault(name, set()).add(panel["title"])
    assert queried
    missing = {name: sorted(panels) for name, panels in queried.items() if name not in series}
    assert not missing, f"panels query series no service serves: {missing}"
    # The traffic above moved the capture and recall counters: the panels have something to draw.
    assert series["somnia_capture_rejected_total"] >= 1  # the refused capture above
    moving = [n for n in queried if series[n] > 0]
    assert any("capture" in n for n in moving) and any("recall" in n for n in moving), moving


def hot_count(fleet: Fleet, namespace: str) -> int:
    code, output = fleet.system.exec(
        "forgetting", "python", "-m", "somnia_forgetting", "status", "--namespace", namespace
    )
    assert code == 0, output
    return int(next(e for e in events(output) if e.get("event") == "status")["hot"])


def test_workers_killed_mid_ingest_lose_nothing_and_store_nothing_twice(fleet: Fleet) -> None:
    turns, per_call = 300, 20
    for call in range(turns // per_call):
        texts = [
            f"Chaos turn {call * per_call + i}: the build agent noted item {call * per_call + i}."
            for i in range(per_call)
        ]
        capture(fleet, CHAOS_NS, "chaos", texts, first=call * per_call)
        if call == 3:
            fleet.system.kill("embedding")
            fleet.system.kill("graph")
    fleet.system.restart("embedding")
    fleet.system.restart("graph")
    stored = eventually(lambda: hot_count(fleet, CHAOS_NS) == turns, timeout_s=180, every_s=3)
    assert stored, f"{hot_count(fleet, CHAOS_NS)} of {turns} turns stored after the workers came back"
    time.sleep(3)
    assert hot_count(fleet, CHAOS_NS) == turns  # redelivery stored nothing twice


def test_sigterm_stops_every_container_in_seconds(fleet: Fleet) -> None:
    """tini forwards SIGTERM, each service drains and exits 0, well before the engine would SIGKILL."""
    from somnia_backends import service_ports

    slow = {}
    for service in service_ports(ROOT):
        seconds, code = fleet.system.stop(service, timeout_s=20)
        if seconds > 10 or code not in (0, 143):
            slow[service] = (round(seconds, 1), code)
    assert not slow, f"stopped late or by SIGKILL (seconds, exit code): {slow}"
