"""The whole system as a user runs it: `somnia up` in a subprocess, gRPC capture and recall, the CLI,
then a restart that must keep every memory."""

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_channel, read_local_key
from somnia_client import ClientSettings, Memory
from somnia_contracts import memory_id_for
from somnia_graph_store import GraphStoreSettings, open_graph_store
from somnia_memory_store import MemoryRecord, MemoryStoreSettings, SearchFilter, open_memory_store
from somnia_nats_server import free_port, port_is_open

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NS = "e2e/agent/alice"
SESSIONS = {
    "trip": [
        ("user", "We are planning a trip to Kyoto in April to see the cherry blossoms."),
        ("assistant", "April is peak season, book the ryokan early."),
    ],
    "health": [
        ("user", "My doctor told me I am allergic to penicillin."),
        ("assistant", "Noted, I will remember the penicillin allergy."),
    ],
    "work": [
        ("user", "The nightly ETL job crashes because the Postgres connection pool is exhausted."),
        ("assistant", "Raising max_connections or using pgbouncer should fix the pool exhaustion."),
    ],
}
QUESTIONS = {
    "Which antibiotic am I allergic to?": "health-0",
    "Where are we travelling in spring?": "trip-0",
    "why does the nightly ETL job crash?": "work-0",
}


@dataclass
class Somnia:
    env: dict[str, str]
    capture: str
    recall: str
    ports: list[int]
    process: subprocess.Popen[str] | None = None

    def channel(self, address: str) -> grpc.Channel:
        """A channel carrying the local key `somnia up` made on its first start, as the CLI's does."""
        return open_channel(address, token=read_local_key(Path(self.env["SOMNIA_HOME"]) / "auth"))

    def up(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "somnia_cli", "up"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Generous: a CI machine running the whole suite starts five Python services far slower than a quiet one.
        deadline = time.monotonic() + 240
        from somnia_cli.supervisor import check_health

        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else ""
            if all(check_health("127.0.0.1", p) for p in self.ports):
                return
            time.sleep(0.5)
        unhealthy = [p for p in self.ports if not check_health("127.0.0.1", p)]
        self.process.kill()
        output, _ = self.process.communicate(timeout=30)
        raise AssertionError(
            f"somnia up did not become healthy in 240s; ports {unhealthy} not serving\n{output}\n{self.log_tails()}"
        )

    def log_tails(self, lines: int = 30) -> str:
        """The last lines of every service log, so a start that hangs says where."""
        logs = Path(self.env["SOMNIA_HOME"]) / "logs"
        tails = []
        for log in sorted(logs.glob("*.log")):
            tails.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails)

    def down(self) -> str:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, output
        return output

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "somnia_cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(params=["embedded", "weaviate+neo4j"])
def somnia(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Somnia]:
    """`somnia up` on free ports, with the embedded store or with a real Weaviate behind it."""
    ports = {
        name: free_port()
        for name in (
            "NATS_PORT",
            "NATS_MONITOR_PORT",
            "CAPTURE_PORT",
            "RECALL_PORT",
            "EMBEDDING_HEALTH_PORT",
            "GRAPH_HEALTH_PORT",
            "CACHE_WARMING_HEALTH_PORT",
        )
    }
    env = {
        **os.environ,
        "SOMNIA_HOME": str(tmp_path / "home"),
        "SOMNIA_NAMESPACE": NS,
        "COLUMNS": "200",
        **{f"SOMNIA_{k}": str(v) for k, v in ports.items()},
    }
    if request.param == "weaviate+neo4j":
        weaviate, neo4j = request.getfixturevalue("weaviate_server"), request.getfixturevalue("neo4j_server")
        env.update(
            SOMNIA_GRAPH_KIND="neo4j",
            SOMNIA_GRAPH_NEO4J_URI=neo4j.uri,
            SOMNIA_GRAPH_NEO4J_USER=neo4j.user,
            SOMNIA_GRAPH_NEO4J_PASSWORD=neo4j.password,
        )
        env.update(
            SOMNIA_STORE_KIND="weaviate",
            SOMNIA_STORE_WEAVIATE_HTTP_PORT=str(weaviate.http_port),
            SOMNIA_STORE_WEAVIATE_GRPC_PORT=str(weaviate.grpc_port),
            SOMNIA_STORE_WEAVIATE_COLLECTION=f"E2e{uuid.uuid4().hex[:10]}",
            SOMNIA_STORE_WEAVIATE_API_KEY=weaviate.api_key,
        )
    system = Somnia(
        env,
        f"127.0.0.1:{ports['CAPTURE_PORT']}",
        f"127.0.0.1:{ports['RECALL_PORT']}",
        [
            ports["CAPTURE_PORT"],
            ports["RECALL_PORT"],
            ports["EMBEDDING_HEALTH_PORT"],
            ports["GRAPH_HEALTH_PORT"],
            ports["CACHE_WARMING_HEALTH_PORT"],
        ],
    )
    yield system
    if system.process and system.process.poll() is None:
        system.process.kill()


def capture_sessions(somnia: Somnia) -> None:
    with somnia.channel(somnia.capture) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        for session, turns in SESSIONS.items():
            stub.StartSession(capture_pb2.StartSessionRequest(namespace=NS, session_id=session, agent="e2e"))
            request = capture_pb2.CaptureRequest(
                namespace=NS,
                session_id=session,
                turns=[
                    capture_pb2.Turn(
                        turn_id=f"{session}-{i}",
                        role=capture_pb2.Role.Value(f"ROLE_{role.upper()}"),
                        content=text,
                    )
                    for i, (role, text) in enumerate(turns)
                ],
            )
            stub.Capture(request)
            assert all(a.duplicate for a in stub.Capture(request).acks)  # a retry is stored once
            stub.EndSession(capture_pb2.EndSessionRequest(namespace=NS, session_id=session))


def top_answers(somnia: Somnia) -> dict[str, list[str]]:
    """Each question's recalled turn ids; none while the namespace holds nothing yet (NOT_FOUND)."""
    with somnia.channel(somnia.recall) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        try:
            return {
                q: [
                    i.provenance.turn_id
                    for i in stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=q, k=10)).items
                ]
                for q in QUESTIONS
            }
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                raise
            return {q: [] for q in QUESTIONS}


def wait_for_answers(somnia: Somnia, timeout_s: float = 30) -> dict[str, list[str]]:
    deadline = time.monotonic() + timeout_s
    while True:
        answers = top_answers(somnia)
        if all(len(ids) == 6 for ids in answers.values()) or time.monotonic() > deadline:
            return answers
        time.sleep(0.2)


def graph_chains(env: dict[str, str]) -> dict[str, list[str]]:
    """Each captured session's turns as the graph chains them (embedded graph file or Neo4j)."""
    settings = graph_settings(env)

    async def read() -> dict[str, list[str]]:
        store = open_graph_store(settings)
        try:
            return {session: await store.session_turns(NS, session) for session in SESSIONS}
        finally:
            await store.aclose()

    return asyncio.run(read())


def wait_for_graph(env: dict[str, str], timeout_s: float = 30) -> dict[str, list[str]]:
    deadline = time.monotonic() + timeout_s
    expected = {session: [f"{session}-{i}" for i in range(len(turns))] for session, turns in SESSIONS.items()}
    while (chains := graph_chains(env)) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    return chains


def wait_for_warm_pack(somnia: Somnia, session_id: str, timeout_s: float = 30) -> recall_pb2.WarmCacheResponse:
    """The pack cache-warming stored when the session started (WarmCache would build one if asked
    before that, so wait until it says it came from the store)."""
    deadline = time.monotonic() + timeout_s
    with somnia.channel(somnia.recall) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        while True:
            pack = stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id=session_id))
            if pack.from_cache or time.monotonic() > deadline:
                return pack
            time.sleep(0.3)


def check_warm_pack_and_feedback(somnia: Somnia) -> None:
    with somnia.channel(somnia.capture) as channel:
        capture_pb2_grpc.CaptureServiceStub(channel).StartSession(
            capture_pb2.StartSessionRequest(
                namespace=NS, session_id="next", agent="e2e", opening="Can you prescribe an antibiotic for me?"
            )
        )
    pack = wait_for_warm_pack(somnia, "next")
    assert pack.from_cache, "cache-warming did not store a pack for the started session"
    assert "penicillin" in pack.rendered
    assert all(layer.token_count <= layer.budget + layer.carried for layer in pack.layers)
    shown = somnia.cli("warm", "next", "--show", "--why")
    assert shown.returncode == 0 and "stored at session start" in shown.stdout and "penicillin" in shown.stdout
    assert "why each memory is in the pack" in shown.stdout
    # Live wake from the CLI: the pack is held, so only what it lacks can come; a turn about nothing
    # stored brings nothing.
    woke = somnia.cli("wake", "next", "What did the doctor say about my allergy?", "--budget", "300")
    assert woke.returncode == 0 and ("now relevant to next" in woke.stdout or "nothing new" in woke.stdout), woke
    bad = somnia.cli("wake", "next", "   ")
    assert bad.returncode != 0 and "text is empty" in bad.stderr, bad
    with somnia.channel(somnia.recall) as channel:
        top = recall_pb2_grpc.RecallServiceStub(channel).Recall(
            recall_pb2.RecallRequest(namespace=NS, query="penicillin allergy", k=1)
        )
    helped = somnia.cli("feedback", "helped", "--memory", top.items[0].memory_id, "--note", "avoided a reaction")
    assert helped.returncode == 0 and "recorded helped" in helped.stdout, helped
    unknown = somnia.cli("feedback", "misled", "--memory", "m-does-not-exist")
    assert unknown.returncode != 0 and "not in namespace" in unknown.stderr, unknown


def check_negative_knowledge_and_archive(somnia: Somnia) -> None:
    """Reports become negative memories (the forgetting service); a sweep and a restore run from the CLI."""
    failed = somnia.cli("feedback", "failed", "--session", "next", "--note", "the printer on floor 3 jammed twice")
    assert failed.returncode == 0 and "recorded failed" in failed.stdout, failed
    note = "looked for the gym membership card in the hall drawer"
    absent = somnia.cli("feedback", "checked_absent", "--session", "next", "--note", note)
    assert absent.returncode == 0, absent
    vague = somnia.cli("feedback", "checked_absent", "--session", "next")
    assert vague.returncode != 0 and "needs a note" in vague.stderr, vague
    # Polled in the store: every Recall is a use that strengthens what it returns.
    deadline = time.monotonic() + 90  # forgetting runs at idle priority: a busy machine delays it
    while len(negative_memories(somnia.env)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(negative_memories(somnia.env)) == 2, "the forgetting service wrote no negative memories in 90 s"
    with somnia.channel(somnia.recall) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        for query, words in {
            "what went wrong with the printer?": "failed because the printer",
            "gym card": "not there",
        }.items():
            items = stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=query, k=3)).items
            assert items[0].kind == "negative" and words in items[0].text, (query, items[0])
    swept = somnia.cli("sweep")
    assert swept.returncode == 0 and "hot after" in swept.stdout, swept  # nothing is old enough to fade
    nothing = somnia.cli("restore", "--all")
    assert nothing.returncode == 3 and "nothing archived matched" in nothing.stderr, nothing


FERRY_SESSIONS = {
    f"commute-{n}": [("user", f"The Vashon ferry was late again on {day}, so I missed standup.")]
    for n, day in enumerate(("Monday", "Wednesday", "Friday"))
}


def check_dream(somnia: Somnia) -> None:
    """A topic that recurs across sessions becomes an insight, recallable with its provenance."""
    with somnia.channel(somnia.capture) as channel:
        stub = capture_pb2_grpc.CaptureServiceStub(channel)
        for session, turns in FERRY_SESSIONS.items():
            stub.Capture(
                capture_pb2.CaptureRequest(
                    namespace=NS,
                    session_id=session,
                    turns=[
                        capture_pb2.Turn(turn_id=f"{session}-{i}", role=capture_pb2.ROLE_USER, content=text)
                        for i, (_, text) in enumerate(turns)
                    ],
                )
            )
    deadline = time.monotonic() + 30
    while set(FERRY_SESSIONS) - set(graph_sessions(somnia.env)) and time.monotonic() < deadline:
        time.sleep(0.3)
    dreamt = somnia.cli("dream", "--run-id", "e2e-1")
    assert dreamt.returncode == 0, dreamt.stdout + dreamt.stderr
    assert "dream run e2e-1: finished" in dreamt.stdout and "consolidate insights" in dreamt.stdout
    with somnia.channel(somnia.recall) as channel:
        found = recall_pb2_grpc.RecallServiceStub(channel).Recall(
            recall_pb2.RecallRequest(namespace=NS, query="vashon ferry late", k=5)
        )
    topics = [item for item in found.items if item.kind == "semantic" and "Recurring topic across 3" in item.text]
    assert topics, [item.text for item in found.items]
    assert len(topics[0].provenance.derived_from) == 3
    again = somnia.cli("dream", "--run-id", "e2e-1")  # a finished run is not run twice
    assert again.returncode == 0 and "finished" in again.stdout
    check_forget(somnia)


def check_forget(somnia: Somnia) -> None:
    """Forgetting a session removes it from Recall and from the insight that quoted it."""
    forgotten = somnia.cli("forget", "--session", "commute-0", "--reason", "e2e")
    assert forgotten.returncode == 0 and "insights rewritten without it" in forgotten.stdout, forgotten
    with somnia.channel(somnia.recall) as channel:
        found = recall_pb2_grpc.RecallServiceStub(channel).Recall(
            recall_pb2.RecallRequest(namespace=NS, query="vashon ferry late monday", k=10)
        )
    assert not any("Monday" in item.text for item in found.items)
    topics = [item for item in found.items if item.kind == "semantic" and "Recurring topic across 3" in item.text]
    assert topics and all(len(item.provenance.derived_from) == 2 for item in topics)
    again = somnia.cli("forget", "--session", "commute-0")
    assert again.returncode == 0 and "already forgotten" in again.stdout
    refused = somnia.cli("forget", "--entire-namespace")
    assert refused.returncode != 0 and f"confirm_namespace to '{NS}'" in refused.stderr, refused


def check_readme_sdk_example(somnia: Somnia) -> None:
    """The README's SDK example, run as written against this `somnia up` (its ports and local key come
    from the same SOMNIA_* variables), and what it captured is then recalled through the SDK."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    after = readme.split("From Python, with the SDK", 1)[1]
    code = after.split("```python\n", 1)[1].split("```", 1)[0]
    ran = subprocess.run([sys.executable, "-c", code], env=somnia.env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    settings = ClientSettings(
        namespace="acme/support-bot/alice",
        home=Path(somnia.env["SOMNIA_HOME"]),
        capture_address=somnia.capture,
        recall_address=somnia.recall,
    )
    with Memory(settings=settings) as memory:
        deadline = time.monotonic() + 30
        while not any("4411" in m.text for m in memory.recall("which order is missing?", k=5)):
            assert time.monotonic() < deadline, "the README example's turns were never recalled"
            time.sleep(0.3)


def check_chatgpt_export_import(somnia: Somnia, tmp_path: Path) -> None:
    """A ChatGPT data export imports as one session per conversation, and a second import stores nothing twice."""

    def message(message_id: str, role: str, text: str, t: float) -> dict[str, object]:
        content = {"content_type": "text", "parts": [text]}
        return {"id": message_id, "author": {"role": role}, "create_time": t, "content": content}

    mapping = {
        "q": {"message": message("q", "user", "Which ferry goes to Vashon?", 1.7e9), "parent": None, "children": ["a"]},
        "a": {"message": message("a", "assistant", "The Fauntleroy ferry.", 1.7e9 + 5), "parent": "q", "children": []},
    }
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([{"id": "ferry", "mapping": mapping, "current_node": "a", "create_time": 1.7e9}]))
    first = somnia.cli("import", "--format", "chatgpt", str(export))
    assert first.returncode == 0 and "imported 2 turn(s) in 1 session(s)" in first.stdout, first
    again = somnia.cli("import", "--format", "chatgpt", str(export))
    assert again.returncode == 0 and "imported 0 turn(s)" in again.stdout and "2 were already known" in again.stdout


def check_identity(somnia: Somnia) -> None:
    """No key: refused. Another tenant's key from `somnia keys create`: refused here, the same way as for
    a namespace nobody has. Revoked: refused from the next call on, without a restart."""
    recall = recall_pb2.RecallRequest(namespace=NS, query="penicillin", k=3)
    with grpc.insecure_channel(somnia.recall) as channel, pytest.raises(grpc.RpcError) as anonymous:
        recall_pb2_grpc.RecallServiceStub(channel).Recall(recall)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    created = somnia.cli("keys", "create", "globex-bot", "--namespace", "globex/*", "--scope", "recall")
    assert created.returncode == 0, created
    key = created.stdout.strip()
    assert (
        key.startswith("somnia_")
        and key not in (Path(somnia.env["SOMNIA_HOME"]) / "auth" / "api-keys.json").read_text()
    )
    refusals = []
    for namespace in (NS, "nobody/at/all"):
        with open_channel(somnia.recall, token=key) as channel, pytest.raises(grpc.RpcError) as refused:
            recall_pb2_grpc.RecallServiceStub(channel).Recall(recall_pb2.RecallRequest(namespace=namespace, query="x"))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
        refusals.append(refused.value.details().replace(namespace, "<ns>"))  # type: ignore[attr-defined]
    assert refusals[0] == refusals[1]
    with open_channel(somnia.recall, token=key) as channel:
        with pytest.raises(grpc.RpcError) as unknown:
            recall_pb2_grpc.RecallServiceStub(channel).Recall(
                recall_pb2.RecallRequest(namespace="globex/a/b", query="x")
            )
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND  # its own tenant: allowed to learn it is empty
        assert somnia.cli("keys", "revoke", "globex-bot").returncode == 0
        time.sleep(1.2)  # servers look at the key file once a second
        with pytest.raises(grpc.RpcError) as revoked:
            recall_pb2_grpc.RecallServiceStub(channel).Recall(
                recall_pb2.RecallRequest(namespace="globex/a/b", query="x")
            )
        assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]


SECRETS = ("quokkapin739251", "passportP7Z3QX81")


def capture_and_forget_secrets(somnia: Somnia) -> None:
    """A session that says a PIN and a passport number, recallable, then forgotten."""
    with somnia.channel(somnia.capture) as channel:
        capture_pb2_grpc.CaptureServiceStub(channel).Capture(
            capture_pb2.CaptureRequest(
                namespace=NS,
                session_id="secrets",
                turns=[
                    capture_pb2.Turn(
                        turn_id="secrets-0",
                        role=capture_pb2.ROLE_USER,
                        content=f"My bank PIN is {SECRETS[0]} and my passport number is {SECRETS[1]}.",
                    )
                ],
            )
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with somnia.channel(somnia.recall) as channel:
            found = recall_pb2_grpc.RecallServiceStub(channel).Recall(
                recall_pb2.RecallRequest(namespace=NS, query=SECRETS[0], k=3)
            )
        if any(SECRETS[0] in item.text for item in found.items):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the secret session never became recallable")
    time.sleep(1.0)  # the graph links it too
    held = files_holding(Path(somnia.env["SOMNIA_HOME"]), SECRETS)
    assert any("nats" in h for h in held), held  # the check below can see what it looks for
    forgotten = somnia.cli("forget", "--session", "secrets", "--reason", "e2e disk check")
    assert forgotten.returncode == 0, forgotten


def files_holding(root: Path, needles: tuple[str, ...]) -> list[str]:
    """Every file under root (NATS streams, SQLite files and WALs, logs, keys) holding a needle."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {n}" for n in needles if n.encode() in data]
    return found


def negative_memories(env: dict[str, str]) -> list[str]:
    return memory_texts(env, SearchFilter(kinds=("negative",)))


def memory_records(env: dict[str, str], filter: SearchFilter | None = None) -> list[MemoryRecord]:
    async def read() -> list[MemoryRecord]:
        settings = MemoryStoreSettings(
            _env_file=None,
            **{  # type: ignore[call-arg]
                k.removeprefix("SOMNIA_STORE_").lower(): v
                for k, v in env.items()
                if k.startswith("SOMNIA_STORE_") and k != "SOMNIA_STORE_DATA_DIR"
            },
            data_dir=Path(env["SOMNIA_HOME"]) / "store",
        )
        store = open_memory_store(settings)  # the stores somnia up runs on (Weaviate under make test)
        try:
            return await store.scan(NS, filter)
        finally:
            await store.aclose()

    return asyncio.run(read())


def memory_texts(env: dict[str, str], filter: SearchFilter | None = None) -> list[str]:
    return [r.text for r in memory_records(env, filter)]


def graph_settings(env: dict[str, str]) -> GraphStoreSettings:
    return GraphStoreSettings(
        _env_file=None,
        **{  # type: ignore[call-arg]
            k.removeprefix("SOMNIA_GRAPH_").lower(): v
            for k, v in env.items()
            if k.startswith("SOMNIA_GRAPH_") and not k.startswith("SOMNIA_GRAPH_SERVICE_")
        },
        data_dir=Path(env["SOMNIA_HOME"]) / "store",
    )


def graph_sessions(env: dict[str, str]) -> list[str]:
    """Sessions whose first turn's entities are linked (what dreaming reads)."""
    settings = graph_settings(env)

    async def read() -> list[str]:
        store = open_graph_store(settings)
        try:
            now = datetime.now(UTC)
            page = await store.session_digests(NS, since=now - timedelta(days=1), until=now + timedelta(days=1))
            return [d.session_id for d in page.digests if d.turns and d.turns[0].entities]
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_capture_recall_restart_keeps_memories(somnia: Somnia, tmp_path: Path) -> None:
    somnia.up()
    assert stat.S_IMODE(Path(somnia.env["SOMNIA_HOME"]).stat().st_mode) == 0o700  # owner only
    capture_sessions(somnia)
    answers = wait_for_answers(somnia)
    assert wait_for_graph(somnia.env) == {s: [f"{s}-{i}" for i in range(len(t))] for s, t in SESSIONS.items()}
    for question, turn_id in QUESTIONS.items():
        assert answers[question][0] == turn_id, (question, answers[question])
        assert sorted(answers[question]) == sorted(f"{s}-{i}" for s in SESSIONS for i in range(2))  # no duplicates
    check_identity(somnia)
    check_readme_sdk_example(somnia)
    check_warm_pack_and_feedback(somnia)
    check_negative_knowledge_and_archive(somnia)
    check_dream(somnia)

    transcript = tmp_path / "import.jsonl"
    transcript.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "session_id": "imported",
                    "role": "user",
                    "content": "My locker combination is 4-8-15.",
                    "timestamp": "2026-11-20T09:00:00Z",
                },
                {
                    "session_id": "imported",
                    "role": "tool",
                    "content": "",
                    "timestamp": 1763629200,
                    "tool_name": "calendar",
                    "tool_arguments": {"day": "friday"},
                    "tool_result": "dentist at 3pm",
                },
            ]
        )
        + "\n"
    )
    imported = somnia.cli("import", str(transcript))
    assert imported.returncode == 0 and "imported 2 turn(s) in 1 session(s)" in imported.stdout, imported
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"session_id": "x", "role": "user", "content": "hi", "timestamp": "yesterday"}\n')
    refused = somnia.cli("import", str(bad))
    assert (
        refused.returncode == 1 and "line 1: timestamp" in refused.stderr and "Nothing was imported" in refused.stderr
    )
    check_chatgpt_export_import(somnia, tmp_path)
    time.sleep(1.5)
    table = somnia.cli("recall", "what is my locker code?", "-k", "3")
    assert table.returncode == 0 and "4-8-15" in table.stdout, table.stdout
    assert "dentist" in somnia.cli("recall", "calendar appointment on friday").stdout

    capture_and_forget_secrets(somnia)
    output = somnia.down()
    assert "somnia stopped" in output
    assert not any(port_is_open("127.0.0.1", p) for p in somnia.ports)
    # Erasure reaches the disk: after a clean shutdown no file under the data directory still holds
    # what was forgotten (with Weaviate and Neo4j, their own files are compaction-bound: docs/security.md).
    assert files_holding(Path(somnia.env["SOMNIA_HOME"]), SECRETS) == []

    somnia.up()
    try:
        after = top_answers(somnia)
        assert {q: ids[0] for q, ids in after.items()} == QUESTIONS
        # 6 captured + 2 imported + 2 ferry turns left after forgetting one + dreamt insights: none doubled.
        assert all(len(ids) == len(set(ids)) == 10 for ids in after.values())
    finally:
        somnia.down()


def test_what_the_user_takes_back_leaves_recall_and_is_erased_when_the_deployment_asks(somnia: Somnia) -> None:
    """ "Forget what I told you about my landlord" said in conversation: Recall answers with it instead of
    the landlord, and with SOMNIA_RECALL_ERASE_WITHDRAWN the landlord memory is erased by the Forget path
    (a later Forget of it finds the first erasure's audit id)."""
    somnia.env["SOMNIA_RECALL_ERASE_WITHDRAWN"] = "true"
    somnia.up()
    said = [
        "My landlord is Mr Alvarez from Brightlet Lettings.",
        "The boiler was serviced on Monday.",
        "Please forget what I told you about my landlord.",
    ]
    with somnia.channel(somnia.capture) as channel:
        capture_pb2_grpc.CaptureServiceStub(channel).Capture(
            capture_pb2.CaptureRequest(
                namespace=NS,
                session_id="home",
                turns=[
                    capture_pb2.Turn(turn_id=f"t{i}", role=capture_pb2.ROLE_USER, content=t) for i, t in enumerate(said)
                ],
            )
        )

    def erased() -> bool:
        texts = memory_texts(somnia.env)
        return said[2] in texts and not any("Alvarez" in t for t in texts)

    # The graph service runs at idle priority under `somnia up`: on a loaded machine linking waits.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not erased():
        time.sleep(0.5)
    assert erased(), f"the withdrawn memory was not erased: {memory_texts(somnia.env)}"
    with somnia.channel(somnia.recall) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        found = stub.Recall(
            recall_pb2.RecallRequest(namespace=NS, query="Who is my landlord?", k=3, include_retracted=True)
        )
        assert found.items[0].text == said[2] and not any("Alvarez" in i.text for i in found.items)
        again = stub.Forget(recall_pb2.ForgetRequest(namespace=NS, memory_id=memory_id_for(NS, "home", "t0", 0)))
        assert again.already_forgotten and again.audit_id
    somnia.down()


def test_reindex_moves_the_store_to_another_model_while_recall_answers(somnia: Somnia) -> None:
    """`somnia reindex --embedder onnx-bge-small` on a running system, on the embedded store and on
    Weaviate: Recall answers throughout, the running services follow the swap, and what is captured after
    it is embedded with the new model."""
    somnia.up()
    capture_sessions(somnia)
    wait_for_answers(somnia)
    stop, failures, answered = threading.Event(), [], [0]

    def ask() -> None:
        while not stop.is_set():
            try:
                answers = top_answers(somnia)
            except Exception as exc:  # counted, the test fails on any
                failures.append(repr(exc))
                continue
            failures.extend(f"no answer to {q!r}" for q, ids in answers.items() if not ids)
            answered[0] += 1

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        result = somnia.cli("reindex", "--embedder", "onnx-bge-small", "--batch", "2")
    finally:
        stop.set()
        asking.join()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all-MiniLM-L6-v2-int8-onnx -> bge-small-en-v1.5-int8-onnx" in result.stdout
    assert answered[0] > 0 and not failures, failures[:5]
    answers = wait_for_answers(somnia)
    for question, turn in QUESTIONS.items():
        assert turn in answers[question][:2], (question, answers[question])
    with somnia.channel(somnia.capture) as channel:
        capture_pb2_grpc.CaptureServiceStub(channel).Capture(
            capture_pb2.CaptureRequest(
                namespace=NS,
                session_id="after",
                turns=[
                    capture_pb2.Turn(turn_id="after-0", role=capture_pb2.ROLE_USER, content="My cat is named Miso.")
                ],
            )
        )
    deadline = time.monotonic() + 60
    with somnia.channel(somnia.recall) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        while True:
            found = stub.Recall(recall_pb2.RecallRequest(namespace=NS, query="what is my cat called?", k=3)).items
            if found and found[0].provenance.turn_id == "after-0":
                break
            assert time.monotonic() < deadline, [i.provenance.turn_id for i in found]
            time.sleep(0.3)
    somnia.down()
    embedders = {r.memory_id: r.embedder for r in memory_records(somnia.env)}
    assert embedders[memory_id_for(NS, "after", "after-0", 0)] == "bge-small-en-v1.5-int8-onnx"
    assert set(embedders.values()) == {"bge-small-en-v1.5-int8-onnx"}
