"""The last rung of the dream ladder as a user runs it on one machine: `somnia up`, sessions captured,
recalls that use what was said, `somnia dream`, `somnia dream --explain`, `somnia dream --job promote`
training a LoRA adapter with the real trainer (tiny random model, CPU), `somnia adapters`, Recall that
leaves out what the adapter carries, and a Forget that makes the adapter stale and gets it retrained by
the dreaming service without the erased memory."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_nats_server import free_port

from .test_somnia_up import NS, Somnia, graph_sessions

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TRAINER = Path.home() / ".cache" / "somnia" / "trainer-venv" / "bin" / "python"
TOPICS = {
    "ferry": "The Vashon ferry was late again on {day}, so I missed standup.",
    "pool": "The Postgres pool ran out of connections on {day} during the nightly ETL.",
}
DAYS = ("Monday", "Wednesday", "Friday")


@pytest.fixture
def somnia(tmp_path: Path) -> Iterator[Somnia]:
    if not TRAINER.is_file():
        if os.environ.get("SOMNIA_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"{TRAINER} is missing: `make trainer-setup` installs the trainer's environment")
        pytest.skip("the trainer's environment is not installed (`make trainer-setup`)")
    names = ("NATS_PORT", "NATS_MONITOR_PORT", "CAPTURE_PORT", "RECALL_PORT", "EMBEDDING_HEALTH_PORT")
    names += ("GRAPH_HEALTH_PORT", "CACHE_WARMING_HEALTH_PORT", "FORGETTING_HEALTH_PORT", "DREAMING_HEALTH_PORT")
    ports = {name: free_port() for name in names}
    env = {
        **os.environ,
        "SOMNIA_HOME": str(tmp_path / "home"),
        "SOMNIA_NAMESPACE": NS,
        "COLUMNS": "220",
        **{f"SOMNIA_{k}": str(v) for k, v in ports.items()},
        # A demo's thresholds: fresh memories, a busy agent, a short training.
        "SOMNIA_PARAMETRIC_STABLE_DAYS": "0",
        "SOMNIA_PARAMETRIC_MIN_SESSIONS": "3",
        "SOMNIA_PARAMETRIC_MIN_MEMORIES": "1",
        "SOMNIA_PARAMETRIC_EXPECTED_SESSIONS_PER_DAY": "5000",
        "SOMNIA_PARAMETRIC_EPOCHS": "12",
        "SOMNIA_PARAMETRIC_DATA_DIR": str(tmp_path / "parametric"),
        "SOMNIA_PARAMETRIC_TRAINER_PYTHON": str(TRAINER),
    }
    health = [ports[n] for n in names if n not in ("NATS_PORT", "NATS_MONITOR_PORT")]
    system = Somnia(env, f"127.0.0.1:{ports['CAPTURE_PORT']}", f"127.0.0.1:{ports['RECALL_PORT']}", health)
    yield system
    if system.process and system.process.poll() is None:
        system.down()


def capture(somnia: Somnia) -> None:
    with somnia.channel(somnia.capture) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        for topic, template in TOPICS.items():
            for n, day in enumerate(DAYS):
                session = f"{topic}-{n}"
                turn = capture_pb2.Turn(
                    turn_id=f"{session}-0", role=capture_pb2.ROLE_USER, content=template.format(day=day)
                )
                stub.Capture(capture_pb2.CaptureRequest(namespace=NS, session_id=session, turns=[turn]))
    deadline = time.monotonic() + 60
    wanted = {f"{t}-{n}" for t in TOPICS for n in range(len(DAYS))}
    while wanted - set(graph_sessions(somnia.env)) and time.monotonic() < deadline:
        time.sleep(0.3)


def recall(somnia: Somnia, query: str, adapters: tuple[str, ...] = ()) -> recall_pb2.RecallResponse:
    with somnia.channel(somnia.recall) as channel:
        request = recall_pb2.RecallRequest(namespace=NS, query=query, k=5, adapters=list(adapters))
        response: recall_pb2.RecallResponse = recall_pb2_grpc.RecallServiceStub(channel).Recall(request)
        return response


def adapters(somnia: Somnia) -> list[dict[str, object]]:
    served = somnia.cli("adapters", "--serving")
    assert served.returncode == 0, served.stderr
    return list(json.loads(served.stdout)["adapters"])


def test_memories_earn_a_place_in_the_weights_and_forgetting_reaches_them(somnia: Somnia) -> None:
    somnia.up()
    capture(somnia)
    dreamt = somnia.cli("dream", "--run-id", "first")
    assert dreamt.returncode == 0, dreamt.stdout + dreamt.stderr
    for _ in range(30):  # agents reach for what was dreamt: each recall is a use
        recall(somnia, "is the ferry late again")
        recall(somnia, "why does the nightly ETL fail")

    explained = somnia.cli("dream", "--explain")
    assert explained.returncode == 0, explained.stderr
    assert "promotion to weights" in explained.stdout and "promote" in explained.stdout, explained.stdout
    decisions = [json.loads(line) for line in somnia.cli("dream", "--explain", "--json").stdout.splitlines()]
    batch = decisions[-1]
    assert batch["event"] == "batch" and batch["train"], batch
    promoted = [d for d in decisions if d["event"] == "candidate" and d["promoted"]]
    assert promoted and all(d["kind"] in ("semantic", "procedural", "episodic") for d in promoted)

    trained = somnia.cli("dream", "--job", "promote", "--run-id", "promote-1")
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert "train an adapter" in trained.stdout and "probes" in trained.stdout, trained.stdout
    listed = somnia.cli("adapters")
    assert listed.returncode == 0 and "live" in listed.stdout, listed.stdout + listed.stderr
    (live,) = adapters(somnia)
    adapter_id = str(live["adapter_id"])

    plain = recall(somnia, "is the ferry late again")
    served = recall(somnia, "is the ferry late again", (adapter_id,))
    assert list(served.adapters_applied) == [adapter_id]
    carried = {d["memory_id"] for d in promoted}
    assert carried & {i.memory_id for i in plain.items} and not carried & {i.memory_id for i in served.items}

    erased = next(i for i in plain.items if i.memory_id in carried)
    forgotten = somnia.cli("forget", "--memory", erased.memory_id, "--reason", "e2e")
    assert forgotten.returncode == 0, forgotten.stdout + forgotten.stderr
    assert not list(recall(somnia, "is the ferry late again", (adapter_id,)).adapters_applied)
    assert "stale" in somnia.cli("adapters").stdout
    # The dreaming service of `somnia up` takes the retrain request and trains without the erased memory.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not [a for a in adapters(somnia) if a["adapter_id"] != adapter_id]:
        time.sleep(1.0)
    (retrained,) = [a for a in adapters(somnia) if a["adapter_id"] != adapter_id]
    assert int(str(retrained["version"])) == 2
