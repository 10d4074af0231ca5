"""Tenant isolation, probed: 10,000 randomized calls across Capture, CaptureStream, StartSession,
EndSession, Recall, WarmCache, WakeDelta, Feedback and Forget, made with one tenant's key against the data of
others: their namespaces, crafted look-alikes, memory and session ids taken from their own results,
as_of times and the archive. Real capture and recall servers on a real nats-server, embedded stores.

Afterwards: no reply carried anything of another tenant (0 leaks), and the other tenants' memories,
session streams, feedback and audit trail are exactly as before (0 cross-tenant writes).
SOMNIA_ISOLATION_PROBES sets the number of calls."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from google.protobuf.message import Message
from somnia.capture.v1 import capture_pb2
from somnia.recall.v1 import recall_pb2
from somnia_auth import open_channel
from somnia_auth.testing import keyed_security, write_keys
from somnia_capture.main import CaptureApp
from somnia_capture.settings import CaptureSettings
from somnia_contracts import AUDIT_STREAM, MEMORY_STREAM, SESSION_STREAM, Subjects, archive_namespace
from somnia_extraction import OfflineExtractor
from somnia_graph_store import MemoryNode, TurnNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig

from .test_hostile_input import LoopThread

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PROBES = int(os.environ.get("SOMNIA_ISOLATION_PROBES", "10000"))
ATTACKER = ["acme/support-bot/alice", "acme/support-bot/zed"]
VICTIMS = ["globex/sales-bot/bob", "globex/sales-bot/carol", "initech/helper/dana"]
T0 = datetime(2026, 10, 1, tzinfo=UTC)
CAPTURE, RECALL = "/somnia.capture.v1.CaptureService/", "/somnia.recall.v1.RecallService/"


def marker(namespace: str, i: int) -> str:
    return f"{namespace.split('/')[0].upper()}SECRET{i:03d}"


@dataclass
class World:
    capture: str
    recall: str
    attacker: str
    victim_keys: dict[str, str]
    victim_ids: list[str]
    victim_sessions: list[str]
    markers: list[str]


async def seed(store: EmbeddedMemoryStore, graph: EmbeddedGraphStore, embedder: Any) -> tuple[list[str], list[str]]:
    """Each tenant: memories naming its marker, hot and archived; the attacker's tenant too."""
    records, memories, turns = [], [], []
    for namespace in ATTACKER + VICTIMS:
        texts = [f"{marker(namespace, i)}: the quarterly budget review is on Friday, room {i}" for i in range(6)]
        vectors = await embedder.embed(texts)
        for i, text in enumerate(texts):
            partition = archive_namespace(namespace) if i >= 4 else namespace
            at = T0 + timedelta(days=i)
            session = f"s{i % 2}"
            memory_id = f"{namespace.split('/')[0]}-{namespace.split('/')[2]}-m{i}"
            records.append(
                MemoryRecord(
                    memory_id=memory_id,
                    namespace=partition,
                    text=text,
                    session_id=session,
                    turn_id=f"t{i}",
                    role="user",
                    occurred_at=at,
                    recorded_at=at,
                    embedder=embedder.name,
                    vector=vectors[i],
                )
            )
            turns.append(
                TurnNode(namespace=namespace, session_id=session, turn_id=f"t{i}", role="user", occurred_at=at)
            )
            memories.append(MemoryNode(namespace=namespace, session_id=session, turn_id=f"t{i}", memory_id=memory_id))
    await store.upsert(records)
    await graph.upsert_turns(turns)
    await graph.upsert_memories(memories)
    victim_ids = [r.memory_id for r in records if not r.memory_id.startswith("acme")]
    return victim_ids, ["s0", "s1"]


async def victim_state(store: EmbeddedMemoryStore, nats_url: str) -> dict[str, Any]:
    """Everything of the other tenants that a write could change."""
    state: dict[str, Any] = {}
    for namespace in VICTIMS:
        for partition in (namespace, archive_namespace(namespace)):
            state[partition] = sorted((r.memory_id, r.text, r.status) for r in await store.scan(partition, limit=1000))
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        for namespace in VICTIMS:
            for stream in (SESSION_STREAM, MEMORY_STREAM, AUDIT_STREAM):
                info = await js.stream_info(stream.name, subjects_filter=Subjects.of_namespace(namespace))
                state[f"{stream.name}:{namespace}"] = dict(info.state.subjects or {})
    finally:
        await client.close()
    return state


@pytest.fixture
def world(tmp_path: Path, nats_server: NatsServer, embedder: Any) -> Iterator[tuple[World, LoopThread, Any]]:
    keys = tmp_path / "keys.json"
    grants = {"attacker": (["acme/*"], ["capture", "recall", "feedback", "forget"])}
    grants |= {f"victim-{v.split('/')[0]}": ([v.split("/")[0] + "/*"], ["recall"]) for v in VICTIMS}
    tokens = write_keys(keys, grants)
    loop = LoopThread()

    async def start() -> tuple[World, Any, Any]:
        capture = CaptureApp(CaptureSettings(port=0, nats_url=nats_server.url), keyed_security(keys))
        capture_port = await capture.start()
        store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
        await graph.ensure_schema()
        victim_ids, sessions = await seed(store, graph, embedder)
        recall = RecallApp(
            RecallSettings(port=0, nats_url=nats_server.url),
            embedder,
            store,
            graph=graph,
            extractor=OfflineExtractor(),
            config=RetrievalConfig.from_env(),
            security=keyed_security(keys),
        )
        recall_port = await recall.start()
        found = World(
            f"127.0.0.1:{capture_port}",
            f"127.0.0.1:{recall_port}",
            tokens["attacker"],
            {v: tokens[f"victim-{v.split('/')[0]}"] for v in VICTIMS},
            victim_ids,
            sessions,
            [marker(v, i) for v in VICTIMS for i in range(6)],
        )

        async def stop() -> None:
            await recall.stop()
            await capture.stop()

        return found, stop, store

    built, stop, store = loop.run(start())
    yield built, loop, store
    loop.run(stop())
    loop.close()


def crafted_namespaces(victim: str) -> list[str]:
    tenant, agent, user = victim.split("/")
    return [
        victim,
        victim.upper(),
        f" {victim}",
        f"{victim}/",
        f"{victim}#archive",
        archive_namespace(victim),
        f"acme/../{victim}",
        f"acme/{agent}/{user}/../../{tenant}",
        f"{tenant}/*",
        "*",
        f"{tenant}/{agent}/*",
        f"acme/*/{user}",
        victim.replace("o", "\u043e"),  # a Cyrillic look-alike
        f"{victim}\x00",
        f"acme\x00{victim}",
    ]


def probe(rng: random.Random, world: World) -> tuple[str, Message | list[Message], bool]:
    """One call: (method, request, whether it targets another tenant)."""
    own = rng.random() < 0.15
    victim = rng.choice(VICTIMS)
    namespace = rng.choice(ATTACKER) if own else rng.choice(crafted_namespaces(victim))
    memory_id = rng.choice(world.victim_ids)
    session = rng.choice(world.victim_sessions)
    as_of = T0 + timedelta(days=rng.randint(-5, 30))
    kind = rng.choice(
        [
            "Recall",
            "WarmCache",
            "WakeDelta",
            "Feedback",
            "Forget",
            "Capture",
            "CaptureStream",
            "StartSession",
            "EndSession",
        ]
    )
    if kind == "Recall":
        request: Any = recall_pb2.RecallRequest(
            namespace=namespace,
            query=rng.choice(["budget review", marker(victim, rng.randint(0, 5)), "room", "what is on friday"]),
            k=rng.randint(1, 50),
            include_archived=rng.random() < 0.5,
        )
        if rng.random() < 0.5:
            request.as_of.FromDatetime(as_of)
        return RECALL + kind, request, not own
    if kind == "WarmCache":
        request = recall_pb2.WarmCacheRequest(namespace=namespace, session_id=session, opening="budget review")
        return RECALL + kind, request, not own
    if kind == "WakeDelta":
        request = recall_pb2.WakeDeltaRequest(
            namespace=namespace,
            session_id=session,
            text=rng.choice(["budget review", marker(victim, rng.randint(0, 5)), "what is on friday"]),
            known_memory_ids=rng.sample(world.victim_ids, k=min(2, len(world.victim_ids))),
        )
        return RECALL + kind, request, not own
    if kind == "Feedback":
        signal = rng.choice(list(recall_pb2.FeedbackSignal.values())[1:])
        request = recall_pb2.FeedbackRequest(
            namespace=namespace, memory_id=memory_id, session_id=session, signal=signal, note="probe"
        )
        if rng.random() < 0.3:
            request.evidence_memory_id = rng.choice(world.victim_ids)
        return RECALL + kind, request, not own
    if kind == "Forget":
        request = recall_pb2.ForgetRequest(namespace=namespace, reason="probe")
        target = rng.choice(["memory_id", "session_id", "subject", "entire_namespace"])
        if target == "entire_namespace":
            request.entire_namespace, request.confirm_namespace = True, namespace
        elif target == "subject":
            request.subject = marker(victim, rng.randint(0, 5))
        else:
            setattr(request, target, memory_id if target == "memory_id" else session)
        return RECALL + kind, request, not own
    turn = capture_pb2.Turn(role=capture_pb2.ROLE_USER, content=f"probe turn {rng.random()}")
    if kind == "Capture":
        return (
            CAPTURE + kind,
            capture_pb2.CaptureRequest(namespace=namespace, session_id=session, turns=[turn]),
            not own,
        )
    if kind == "CaptureStream":
        # A stream that opens in the caller's own namespace, then switches to another tenant's.
        first = capture_pb2.CaptureStreamRequest(namespace=rng.choice(ATTACKER), session_id="own", turn=turn)
        then = capture_pb2.CaptureStreamRequest(namespace=namespace, session_id=session, turn=turn)
        return CAPTURE + kind, [first, then], not own
    if kind == "StartSession":
        return CAPTURE + kind, capture_pb2.StartSessionRequest(namespace=namespace, session_id=session), not own
    return CAPTURE + kind, capture_pb2.EndSessionRequest(namespace=namespace, session_id=session), not own


def test_ten_thousand_probes_leak_nothing_and_write_nothing_across_tenants(
    world: tuple[World, LoopThread, Any], nats_server: NatsServer
) -> None:
    found, loop, store = world
    # The victims' data is really there and reachable by its owners (so a 0 below means something).
    with open_channel(found.recall, token=found.victim_keys[VICTIMS[0]]) as channel:
        own = recall_pb2.RecallResponse.FromString(
            channel.unary_unary(RECALL + "Recall")(
                recall_pb2.RecallRequest(namespace=VICTIMS[0], query="budget review", k=10).SerializeToString()
            )
        )
    assert any(marker(VICTIMS[0], 0) in item.text or "SECRET" in item.text for item in own.items)
    time.sleep(1.0)  # the owner's recall is recorded as a use (memory.recalled): part of "before"
    before = loop.run(victim_state(store, nats_server.url))
    secrets = [m.encode() for m in found.markers] + [i.encode() for i in found.victim_ids]
    rng = random.Random(20261126)
    codes: Counter[str] = Counter()
    leaks, denied_cross = [], 0
    with (
        open_channel(found.capture, token=found.attacker) as capture,
        open_channel(found.recall, token=found.attacker) as recall,
    ):
        for _ in range(PROBES):
            method, request, cross = probe(rng, found)
            channel = capture if method.startswith(CAPTURE) else recall
            try:
                if isinstance(request, list):
                    reply = channel.stream_unary(method)(iter([r.SerializeToString() for r in request]), timeout=30)
                else:
                    reply = channel.unary_unary(method)(request.SerializeToString(), timeout=30)
                code = "OK"
            except grpc.RpcError as exc:
                code, reply = exc.code().name, (exc.details() or "").encode()  # type: ignore[attr-defined]
            codes[code] += 1
            if cross and code != "OK":
                denied_cross += 1
            sent = b"".join(r.SerializeToString() for r in (request if isinstance(request, list) else [request]))
            leaked = [
                s for s in secrets if s in reply and s not in sent
            ]  # an echo of the caller's own words is no leak
            if leaked:
                leaks.append((method, str(request)[:200], code, leaked[:3]))
    after = loop.run(victim_state(store, nats_server.url))
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    print(
        f"\nisolation: {PROBES} probes, statuses {dict(codes)}, leaks {len(leaks)}, cross-tenant writes {len(changed)}"
    )
    assert not changed, changed
    assert not leaks, leaks[:5]
    assert "INTERNAL" not in codes and "UNKNOWN" not in codes
    assert codes["PERMISSION_DENIED"] > PROBES // 2  # most probes were refused at the door, as they should be
