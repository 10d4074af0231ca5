"""Forget on a real nats-server with the real embedder and the embedded stores: afterwards no API,
store, stream or bucket returns any of what was forgotten, insights are rewritten without it, and the
audit trail names it by a digest only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import nats
import pytest
from nats.js.errors import NotFoundError
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import admin_security
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import (
    AUDIT_STREAM,
    CONTENT_STREAMS,
    DREAM_STREAM,
    MEMORY_STREAM,
    SESSION_STREAM,
    CommunityDetected,
    MemoryForgotten,
    MemoryIndexed,
    MsgIds,
    Subjects,
    TurnCaptured,
    archive_namespace,
    insight_memory_id,
    memory_id_for,
)
from somnia_extraction import OfflineExtractor
from somnia_graph_store import CommunityNode, MemoryNode, Mention, TurnNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_model.insights import extractive_insight
from somnia_memory_store import MemoryRecord, SearchFilter
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig

pytestmark = pytest.mark.integration
NS = "acme/helper/dana"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
SESSIONS = {
    "s-health": ["My doctor says I am allergic to penicillin.", "I take the Vashon ferry to the clinic."],
    "s-commute": ["The Vashon ferry was late again this morning.", "Standup moved to 10 because of it."],
    "s-trip": ["We booked a ryokan in Kyoto for April.", "The Vashon ferry sells out on holiday weekends."],
}
SECRET = "penicillin"


@dataclass
class World:
    url: str
    stub: recall_pb2_grpc.RecallServiceStub
    store: EmbeddedMemoryStore
    graph: EmbeddedGraphStore
    js: nats.js.JetStreamContext
    insight_id: str


async def seed(url: str, store: EmbeddedMemoryStore, graph: EmbeddedGraphStore, embedder) -> str:  # type: ignore[no-untyped-def]
    """What capture, embedding, graph and a dream would have left: events, memories, nodes, an insight."""
    broker = create_broker(url, name="seed")
    await broker.connect()
    await ensure_streams(broker, SESSION_STREAM, MEMORY_STREAM)
    publisher = JetStreamPublisher(broker)
    records, turns, memories, mentions = [], [], [], []
    for n, (session, texts) in enumerate(SESSIONS.items()):
        vectors = await embedder.embed(texts)
        for i, text in enumerate(texts):
            turn_id, at = f"{session}-{i}", T0 + timedelta(days=n, minutes=i)
            memory_id = memory_id_for(NS, session, turn_id, 0)
            event = TurnCaptured(
                namespace=NS,
                session_id=session,
                turn_id=turn_id,
                role="user",
                content=text,
                occurred_at=at,
                captured_at=at,
            )
            await publisher.publish(
                event,
                subject=Subjects.session_turn(NS, session),
                msg_id=MsgIds.turn(NS, session, turn_id),
                stream=SESSION_STREAM.name,
            )
            indexed = MemoryIndexed(
                namespace=NS,
                session_id=session,
                turn_id=turn_id,
                memory_ids=(memory_id,),
                embedder=embedder.name,
                dimension=embedder.dimension,
                occurred_at=at,
                indexed_at=at,
            )
            await publisher.publish(
                indexed,
                subject=Subjects.memory_indexed(NS, session),
                msg_id=MsgIds.memory_indexed(NS, session, turn_id),
                stream=MEMORY_STREAM.name,
            )
            records.append(
                MemoryRecord(
                    memory_id=memory_id,
                    namespace=NS,
                    text=text,
                    session_id=session,
                    turn_id=turn_id,
                    role="user",
                    occurred_at=at,
                    recorded_at=at,
                    embedder=embedder.name,
                    vector=vectors[i],
                )
            )
            turns.append(TurnNode(namespace=NS, session_id=session, turn_id=turn_id, role="user", occurred_at=at))
            memories.append(MemoryNode(namespace=NS, session_id=session, turn_id=turn_id, memory_id=memory_id))
            if "Vashon" in text:
                mentions.append(
                    Mention(
                        namespace=NS,
                        session_id=session,
                        turn_id=turn_id,
                        entity_key="vashon ferry",
                        name="Vashon ferry",
                    )
                )
            if SECRET in text:
                mentions.append(
                    Mention(namespace=NS, session_id=session, turn_id=turn_id, entity_key=SECRET, name=SECRET)
                )
    await close_broker(broker)
    await store.upsert(records)
    await graph.upsert_turns(turns)
    await graph.upsert_memories(memories)
    await graph.upsert_mentions(mentions)
    # The insight a dream made: it quotes the first turn of each session.
    quoted = [r for r in records if r.turn_id.endswith("-0")]
    insight = insight_memory_id(NS, "cluster:k-1")
    text = extractive_insight("Recurring context across 3 sessions: health, commute, travel.", quoted)
    (vector,) = await embedder.embed([text])
    await store.upsert(
        [
            MemoryRecord(
                memory_id=insight,
                namespace=NS,
                kind="semantic",
                text=text,
                session_id="dream",
                turn_id="cluster-k-1",
                role="system",
                occurred_at=quoted[-1].occurred_at,
                recorded_at=T0 + timedelta(days=5),
                embedder=embedder.name,
                vector=vector,
            )
        ]
    )
    await graph.upsert_communities(
        [
            CommunityNode(
                namespace=NS,
                community_id="k-1",
                kind="cluster",
                label="health, commute, travel",
                members=tuple(r.memory_id for r in quoted),
                size=3,
                sessions=3,
                insight_memory_id=insight,
                sources=tuple(r.memory_id for r in quoted),
            )
        ]
    )
    return insight


@pytest.fixture
async def world(nats_server: NatsServer, tmp_path: Path, embedder) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    insight = await seed(nats_server.url, store, graph, embedder)
    security, token = admin_security(tmp_path)
    app = RecallApp(
        RecallSettings(port=0, nats_url=nats_server.url),
        embedder,
        store,
        graph=graph,
        extractor=OfflineExtractor(),
        config=RetrievalConfig.from_env(),
        security=security,
    )
    port = await app.start()
    client = await nats.connect(nats_server.url)
    async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
        stub = recall_pb2_grpc.RecallServiceStub(channel)
        await stub.WarmCache(recall_pb2.WarmCacheRequest(namespace=NS, session_id="s-next", opening="my allergy"))
        yield World(nats_server.url, stub, store, graph, client.jetstream(), insight)
    await client.close()
    await app.stop()


async def stream_bodies(js: nats.js.JetStreamContext, subject: str = "somnia.>") -> list[bytes]:
    """Every message body in the content streams (and the warm packs' bucket) under `subject`."""
    bodies = []
    for stream in [s.name for s in CONTENT_STREAMS] + ["KV_somnia_warm_packs"]:
        seq = 1
        while True:
            try:
                msg = await js.get_msg(
                    stream, seq=seq, subject=subject if not stream.startswith("KV_") else None, next=True
                )
            except NotFoundError:
                break
            bodies.append(msg.data or b"")
            seq = (msg.seq or seq) + 1
    return bodies


async def audit(js: nats.js.JetStreamContext) -> list[MemoryForgotten]:
    found, seq = [], 1
    while True:
        try:
            msg = await js.get_msg(AUDIT_STREAM.name, seq=seq, subject=Subjects.AUDIT_ALL, next=True)
        except NotFoundError:
            return found
        assert SECRET.encode() not in (msg.data or b"") and b"Vashon" not in (msg.data or b"")
        found.append(MemoryForgotten.model_validate_json(msg.data or b""))
        seq = (msg.seq or seq) + 1


async def test_forgetting_a_session_leaves_nothing_of_it_anywhere(world: World) -> None:
    assert any(SECRET.encode() in b for b in await stream_bodies(world.js))
    forgotten = await world.stub.Forget(
        recall_pb2.ForgetRequest(namespace=NS, session_id="s-health", reason="user asked")
    )
    assert forgotten.memories == 2 and forgotten.graph_nodes >= 5
    assert forgotten.stream_messages == 4 and forgotten.warm_packs >= 1 and forgotten.insights_rebuilt == 1
    # The stores, the graph, the streams and the packs.
    assert await world.store.scan(NS, SearchFilter(session_ids=("s-health",))) == []
    assert await world.graph.session_turns(NS, "s-health") == []
    assert not [e for e in await world.graph.entity_turns(NS, [SECRET], 10)]
    assert not any(SECRET.encode() in b for b in await stream_bodies(world.js))
    # Every API.
    recalled = await world.stub.Recall(recall_pb2.RecallRequest(namespace=NS, query="penicillin allergy doctor", k=10))
    assert recalled.items and not any(SECRET in item.text for item in recalled.items)
    pack = await world.stub.WarmCache(
        recall_pb2.WarmCacheRequest(namespace=NS, session_id="s-next", opening="my allergy")
    )
    assert not pack.from_cache and SECRET not in pack.rendered
    # The insight is rewritten from its other two quotes.
    (insight,) = await world.store.get(NS, [world.insight_id])
    assert SECRET not in insight.text and insight.text.count("\n- [") == 2 and "Vashon ferry was late" in insight.text
    assert len((await world.graph.insight_sources(NS, [world.insight_id]))[world.insight_id]) == 2
    # The audit trail, and asking again.
    (event,) = await audit(world.js)
    assert event.target == "session" and event.audit_id == forgotten.audit_id and event.memories == 2
    again = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, session_id="s-health"))
    assert again.already_forgotten and again.audit_id == forgotten.audit_id and again.memories == 0
    with pytest.raises(grpc.aio.AioRpcError) as never:
        await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, session_id="s-never"))
    assert never.value.code() == grpc.StatusCode.NOT_FOUND and "nothing was erased" in (never.value.details() or "")


async def test_forgetting_one_memory_keeps_the_rest_of_its_session(world: World) -> None:
    memory = memory_id_for(NS, "s-commute", "s-commute-1", 0)
    forgotten = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, memory_id=memory))
    assert forgotten.memories == 1 and forgotten.stream_messages == 2  # its turn and its indexed event
    assert [r.turn_id for r in await world.store.scan(NS, SearchFilter(session_ids=("s-commute",)))] == ["s-commute-0"]
    assert await world.graph.session_turns(NS, "s-commute") == ["s-commute-0"]
    bodies = await stream_bodies(world.js, Subjects.session_turn(NS, "s-commute"))
    assert len(bodies) == 1 and b"Standup moved" not in bodies[0]
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, memory_id="m-never-was"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def test_forgetting_a_subject_takes_every_mention_and_the_insights_that_quote_them(world: World) -> None:
    # What a dream found about it: an entity community and its event on SOMNIA_DREAM.
    community = CommunityNode(
        namespace=NS,
        community_id="e-1",
        kind="entities",
        label="Vashon ferry, standup",
        members=("vashon ferry", "standup"),
        size=2,
        sessions=2,
    )
    await world.graph.upsert_communities([community])
    broker = create_broker(world.url, name="dream")
    await broker.connect()
    await ensure_streams(broker, DREAM_STREAM)
    now = datetime.now(UTC)
    for label, found in (("Vashon ferry, standup", "e-1"), ("Kyoto, ryokan", "e-2")):
        event = CommunityDetected(
            namespace=NS,
            run_id="r-1",
            community_id=found,
            kind="entities",
            label=label,
            size=2,
            sessions=2,
            detected_at=now,
        )
        await JetStreamPublisher(broker).publish(
            event,
            subject=Subjects.dream_found("community", NS, "r-1"),
            msg_id=f"dream/{found}",
            stream=DREAM_STREAM.name,
        )
    await close_broker(broker)
    forgotten = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, subject="Vashon ferry"))
    assert forgotten.memories == 3 and forgotten.insights_deleted + forgotten.insights_rebuilt == 1
    left = [r.text for r in await world.store.scan(NS)]
    assert left and not any("vashon" in t.lower() for t in left)
    assert not any(b"Vashon" in b for b in await stream_bodies(world.js))
    assert any(b"Kyoto" in b for b in await stream_bodies(world.js))  # the other dream event stays
    assert forgotten.stream_messages >= 1
    assert await world.graph.entity_turns(NS, ["vashon ferry"], 10) == []
    (scrubbed,) = await world.graph.communities(NS, "entities")
    assert scrubbed.label == "standup" and scrubbed.members == ("standup",)


async def test_a_namespace_is_erased_only_when_confirmed(world: World) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as unconfirmed:
        await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, entire_namespace=True))
    assert unconfirmed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"confirm_namespace to '{NS}'" in (unconfirmed.value.details() or "")
    assert await world.store.count(NS) == 7  # nothing was touched
    with pytest.raises(grpc.aio.AioRpcError) as nothing:
        await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS))
    assert nothing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    erased = await world.stub.Forget(
        recall_pb2.ForgetRequest(namespace=NS, entire_namespace=True, confirm_namespace=NS)
    )
    assert erased.memories == 7 and erased.graph_nodes > 0 and erased.stream_messages == 12
    assert await world.store.count(NS) == 0 and await world.graph.count(NS, "Turn") == 0
    assert await stream_bodies(world.js, f"somnia.*.*.*.{NS}.>") == []
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await world.stub.Recall(recall_pb2.RecallRequest(namespace=NS, query="ferry", k=3))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    again = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, entire_namespace=True, confirm_namespace=NS))
    assert again.already_forgotten and again.audit_id == erased.audit_id
    assert [e.target for e in await audit(world.js)] == ["namespace"]


class GraphOutageOnce:
    """Fault injection: the real graph, whose first session erasure fails (an outage mid-erasure)."""

    def __init__(self, graph: EmbeddedGraphStore) -> None:
        self._graph = graph
        self.failed = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._graph, name)

    async def erase_sessions(self, namespace: str, session_ids: list[str]) -> int:
        if not self.failed:
            self.failed = True
            from somnia_graph_store import GraphStoreError

            raise GraphStoreError("graph unavailable")
        return await self._graph.erase_sessions(namespace, session_ids)


async def test_an_erasure_cut_short_is_completed_by_asking_again(
    nats_server: NatsServer, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    await seed(nats_server.url, store, graph, embedder)
    flaky = GraphOutageOnce(graph)
    security, token = admin_security(tmp_path)
    app = RecallApp(
        RecallSettings(port=0, nats_url=nats_server.url),
        embedder,
        store,
        graph=flaky,
        config=RetrievalConfig.from_env(),
        security=security,
    )  # type: ignore[arg-type]
    port = await app.start()
    client = await nats.connect(nats_server.url)
    try:
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            stub = recall_pb2_grpc.RecallServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as outage:
                await stub.Forget(recall_pb2.ForgetRequest(namespace=NS, session_id="s-health"))
            assert outage.value.code() == grpc.StatusCode.UNAVAILABLE
            assert await store.scan(NS, SearchFilter(session_ids=("s-health",)))  # still there: ask again
            done = await stub.Forget(recall_pb2.ForgetRequest(namespace=NS, session_id="s-health"))
            assert done.memories == 2 and not done.already_forgotten
        assert await store.scan(NS, SearchFilter(session_ids=("s-health",))) == []
        assert await graph.session_turns(NS, "s-health") == []
        assert not any(SECRET.encode() in b for b in await stream_bodies(client.jetstream()))
    finally:
        await client.close()
        await app.stop()


async def test_recall_searches_the_archive_on_request_and_erasure_reaches_it(world: World) -> None:
    health = [memory_id_for(NS, "s-health", f"s-health-{i}", 0) for i in range(2)]
    assert await world.store.move(NS, archive_namespace(NS), health) == 2  # what a forgetting sweep does
    query = "penicillin allergy doctor"
    hot = await world.stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=query, k=10))
    assert not {i.memory_id for i in hot.items} & set(health)
    both = await world.stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=query, k=10, include_archived=True))
    # The penicillin memory matches better than anything hot: it leads the answer, flagged archived.
    assert both.items[0].archived and both.items[0].memory_id == health[0] and SECRET in both.items[0].text
    assert all(not i.archived for i in both.items if i.memory_id not in health)

    forgotten = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, session_id="s-health"))
    assert forgotten.memories == 2
    assert await world.store.count(archive_namespace(NS)) == 0
    after = await world.stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=query, k=10, include_archived=True))
    assert not any(SECRET in i.text for i in after.items)


async def test_a_negative_memory_goes_with_the_memory_it_quotes_by_link_not_by_its_words(
    world: World, embedder
) -> None:  # type: ignore[no-untyped-def]
    said = SESSIONS["s-commute"][1]
    quoted = memory_id_for(NS, "s-commute", "s-commute-1", 0)
    text = f'Relied on "{said}" on 2026-11-05: it misled — standup did not move.'
    (vector,) = await embedder.embed([text])

    def negative(memory_id: str) -> MemoryRecord:
        return MemoryRecord(
            memory_id=memory_id,
            namespace=NS,
            kind="negative",
            text=text,
            session_id="s-trip",  # reported from another session
            turn_id=memory_id,
            role="system",
            occurred_at=T0 + timedelta(days=4),
            recorded_at=T0 + timedelta(days=4),
            embedder=embedder.name,
            vector=vector,
        )

    # Two negatives with the same words; only one is linked to the memory (as forgetting writes them).
    await world.store.upsert([negative("n-quotes-commute"), negative("n-same-words")])
    await world.graph.upsert_memories(
        [
            MemoryNode(
                namespace=NS,
                session_id="s-trip",
                turn_id="n-quotes-commute",
                memory_id="n-quotes-commute",
                kind="negative",
                quotes=(quoted,),
            ),
            MemoryNode(namespace=NS, session_id="s-trip", turn_id="n-same-words", memory_id="n-same-words"),
        ]
    )
    forgotten = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, memory_id=quoted))
    assert forgotten.memories == 2
    assert await world.store.get(NS, ["n-quotes-commute"]) == []
    assert [r.memory_id for r in await world.store.get(NS, ["n-same-words"])] == ["n-same-words"]


async def test_adapters_save_their_memories_tokens_and_forgetting_reaches_them(world: World) -> None:
    """A live adapter the caller runs carries its memories: Recall and WarmCache leave them out. Erasing
    one of them makes the adapter stale (served no more) and asks dreaming for a retrain without it."""
    from somnia_parametric import AdapterRecord, AdapterRegistry

    health = memory_id_for(NS, "s-health", "s-health-0", 0)
    registry = AdapterRegistry(world.js)
    await registry.open()
    now = datetime.now(UTC)
    adapter = AdapterRecord(
        namespace=NS,
        adapter_id="v1-abcdef12",
        version=1,
        base_model="tiny-random",
        dataset_version="abcdef1234567890",
        memory_ids=(health, world.insight_id),
        status="live",
        created_at=now,
        updated_at=now,
    )
    await registry.put(adapter)
    query = recall_pb2.RecallRequest(namespace=NS, query="what am I allergic to", k=5)
    plain = await world.stub.Recall(query)
    assert health in [i.memory_id for i in plain.items] and not plain.adapters_applied
    query.adapters.extend(["v1-abcdef12", "v9-unknown"])
    served = await world.stub.Recall(query)
    assert list(served.adapters_applied) == ["v1-abcdef12"]
    assert not {health, world.insight_id} & {i.memory_id for i in served.items}
    assert len(served.items) == len(plain.items)  # others take their places

    warm = recall_pb2.WarmCacheRequest(namespace=NS, session_id="s-new", opening="my allergy", adapters=["v1-abcdef12"])
    pack = await world.stub.WarmCache(warm)
    assert list(pack.adapters_applied) == ["v1-abcdef12"] and not pack.from_cache
    assert health not in {i.memory_id for layer in pack.layers for i in layer.items}
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await world.stub.Recall(recall_pb2.RecallRequest(namespace=NS, query="x", adapters=["Not An Id!"]))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "adapters" in (bad.value.details() or "")

    forgotten = await world.stub.Forget(recall_pb2.ForgetRequest(namespace=NS, memory_id=health))
    assert forgotten.adapters_stale == 1
    record = await registry.get(NS, "v1-abcdef12")
    assert record is not None and record.status == "stale" and health in record.stale_memory_ids
    assert forgotten.audit_id in record.stale_reason
    again = await world.stub.Recall(query)
    assert not again.adapters_applied
    retrain = await world.js.get_msg(DREAM_STREAM.name, subject=Subjects.DREAM_REQUESTED_ALL, seq=1, next=True)
    assert b'"promote"' in (retrain.data or b"") and b"retrain-v1-abcdef12" in (retrain.data or b"")
    assert [a.adapters_stale for a in await audit(world.js)] == [1]
