"""`somnia up` supervises nats-server like every service: a killed server is reaped (no zombie), started
again on the same port with the same JetStream directory, and what was acknowledged before is still there."""

import asyncio
import os
import signal
import time
from pathlib import Path

import nats
import pytest
from somnia_cli.settings import CliSettings
from somnia_cli.supervisor import Supervisor
from somnia_nats_server import free_port

pytestmark = pytest.mark.integration


def supervisor_with_nats_only(home: Path) -> Supervisor:
    settings = CliSettings(home=home, nats_port=free_port("127.0.0.1"), nats_monitor_port=free_port("127.0.0.1"))
    supervisor = Supervisor(settings)
    supervisor.logs.mkdir(parents=True, exist_ok=True)
    supervisor.nats.start()
    return supervisor


async def publish_and_count(url: str, body: bytes | None) -> int:
    client = await nats.connect(url)
    js = client.jetstream()
    await js.add_stream(name="SURVIVES", subjects=["survives.>"])
    if body is not None:
        await js.publish("survives.one", body)
    count = (await js.stream_info("SURVIVES")).state.messages
    await client.close()
    return int(count)


def test_a_killed_nats_server_is_reaped_and_restarted_with_its_data(tmp_path: Path) -> None:
    supervisor = supervisor_with_nats_only(tmp_path / "home")
    try:
        assert asyncio.run(publish_and_count(supervisor.operator_url, b"acknowledged")) == 1
        first_pid = supervisor.nats.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)  # a crash from outside, as `kill -9` would
        events: list[str] = []
        deadline = time.monotonic() + 30
        while not any("serving again" in e for e in events) and time.monotonic() < deadline:
            events += supervisor.poll_nats()
            time.sleep(0.05)
        assert any("nats-server exited with -9" in e for e in events), events
        assert any("serving again" in e for e in events), events
        assert supervisor.nats.pid != first_pid and supervisor.nats_restarts == 1
        with pytest.raises(ChildProcessError):
            os.waitpid(first_pid, os.WNOHANG)  # reaped: no zombie left behind
        assert asyncio.run(publish_and_count(supervisor.operator_url, None)) == 1
    finally:
        supervisor.stop()


def test_recall_workers_share_one_port_and_one_name_in_traces(tmp_path: Path) -> None:
    from somnia_cli.supervisor import service_specs

    specs = service_specs(CliSettings(home=tmp_path, recall_workers=3))
    recalls = [s for s in specs if s.module == "somnia_recall"]
    assert [s.name for s in recalls] == ["recall", "recall-2", "recall-3"]  # their logs: recall-2.log, ...
    assert len({s.port for s in recalls}) == 1  # the kernel spreads connections across them
    assert {s.env["OTEL_SERVICE_NAME"] for s in recalls} == {"recall"}
    assert [s.name for s in service_specs(CliSettings(home=tmp_path))].count("recall") == 1


def test_only_recall_reads_its_stores_inline_unless_the_operator_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from somnia_cli.supervisor import service_specs

    monkeypatch.delenv("SOMNIA_STORE_INLINE_READS", raising=False)
    monkeypatch.delenv("SOMNIA_GRAPH_INLINE_READS", raising=False)
    for spec in service_specs(CliSettings(home=tmp_path, recall_workers=2)):
        inline = {spec.env.get("SOMNIA_STORE_INLINE_READS"), spec.env.get("SOMNIA_GRAPH_INLINE_READS")}
        assert inline == ({"true"} if spec.module == "somnia_recall" else {None}), spec.name
    monkeypatch.setenv("SOMNIA_STORE_INLINE_READS", "false")  # the operator's word stands (inherited)
    recall = next(s for s in service_specs(CliSettings(home=tmp_path)) if s.module == "somnia_recall")
    assert "SOMNIA_STORE_INLINE_READS" not in recall.env and recall.env["SOMNIA_GRAPH_INLINE_READS"] == "true"
