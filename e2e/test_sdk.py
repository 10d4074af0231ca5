"""The Python SDK against the real services (capture, embedding, recall on a real nats-server, API keys
on): a session that captures, finds, warms, reports and forgets; typed errors carrying the server's
message; retries that ride out a capture service that is not up yet; the async client the same way."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from somnia_auth.testing import keyed_security
from somnia_capture.main import CaptureApp
from somnia_capture.settings import CaptureSettings
from somnia_client import (
    AsyncMemory,
    ClientSettings,
    InvalidArgument,
    Memory,
    PermissionDenied,
    Turn,
    Unauthenticated,
    Unavailable,
)
from somnia_nats_server import free_port

from .client_world import NS, World

pytestmark = pytest.mark.integration
FACTS = [
    "My passport expires in March, I need to renew it before the Lisbon move.",
    "The movers come on the 14th; the piano needs its own crate.",
    "I prefer aisle seats on long flights.",
]


def recall_until(memory: Memory, query: str, text: str, timeout_s: float = 30.0) -> Any:
    """Until the turn is indexed."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = memory.recall(query, k=5)
        if any(text in m.text for m in found):
            return found
        assert time.monotonic() < deadline, f"{text!r} was never recalled"
        time.sleep(0.2)


def test_a_session_captures_finds_warms_reports_and_forgets(world: World) -> None:
    with Memory(
        NS, api_key=world.keys["alice-app"], capture_address=world.capture, recall_address=world.recall
    ) as memory:
        with memory.session(agent="planner", opening="planning the Lisbon move", tools=["calendar"]) as session:
            assert session.warm().rendered == ""  # a new namespace: nothing to know yet, and no error
            acks = session.capture_many([Turn(FACTS[0]), Turn(FACTS[1], "assistant"), FACTS[2]])
            assert len(acks) == 3 and not any(a.duplicate for a in acks)
            session.capture("I am allergic to hazelnuts.", speaker="Bruno")  # a named participant
            # The same turns again (as a retry would send them) are stored once.
            again = session.capture_many([Turn(FACTS[0], turn_id=acks[0].turn_id)])
            assert again[0].duplicate

            found = recall_until(memory, "when does my passport expire", "passport")
            best = found.memories[0]
            assert "passport" in best.text and best.session_id == session.session_id
            assert best.turn_id == acks[0].turn_id and best.scores.fused > 0

            named = recall_until(memory, "who is allergic to hazelnuts", "hazelnuts")
            assert named.memories[0].text == "Bruno: I am allergic to hazelnuts."  # kept, found, shown

            context = session.warm()
            assert context.token_count > 0 and context.layers
            assert session.feedback(best.memory_id, "helped", note="used it").startswith("f-")

        report = memory.forget(session_id=session.session_id, reason="test")
        assert report.memories >= 4 and report.audit_id
        left = memory.recall("passport", k=5)  # the namespace is empty again: an empty answer, not an error
        assert not left.memories and left.answer_may_be_absent


def test_live_wake_follows_the_conversation_without_repeating_itself(world: World) -> None:
    with Memory(
        "acme/planner/wake",
        api_key=world.keys["alice-app"],
        capture_address=world.capture,
        recall_address=world.recall,
    ) as memory:
        with memory.session(agent="planner", opening="moving to Lisbon") as first:
            first.capture_many(FACTS)
            recall_until(memory, "piano crate", "piano")
        with memory.session(agent="planner", opening="booking flights") as second:
            delta = second.wake("The movers asked what needs special packing")
            texts = [m.text for m in delta.memories]
            assert texts and "piano" in texts[0]
            assert delta.rendered.startswith("## Now relevant") and 0 < delta.token_count <= 1000
            assert {m.memory_id for m in delta.memories} <= set(second.held)
            again = second.wake("The movers asked what needs special packing")
            assert not {m.memory_id for m in again.memories} & {m.memory_id for m in delta.memories}
        with memory.session(agent="planner", opening="the movers and the piano") as third:
            packed = {m.memory_id for layer in third.warm().layers for m in layer.memories}
            assert packed and not packed & set(third.held)  # the server leaves the stored pack out itself
            later = third.wake("The movers asked what needs special packing")
            assert not packed & {m.memory_id for m in later.memories}


def test_errors_are_typed_and_carry_the_servers_message(world: World) -> None:
    key = world.keys["alice-app"]
    addresses = {"capture_address": world.capture, "recall_address": world.recall}
    with Memory("rival/bot/bob", api_key=key, **addresses) as rival, pytest.raises(PermissionDenied, match="rival"):
        rival.recall("anything")
    with Memory(NS, api_key="somnia_nope_nope", **addresses) as bad, pytest.raises(Unauthenticated):
        bad.recall("anything")
    with Memory(NS, api_key=key, capture_address=world.capture, recall_address=world.recall) as memory:
        with pytest.raises(InvalidArgument, match="session") as caught:
            memory.capture("not a session id!", "hello")
        assert caught.value.method == "Capture" and caught.value.details
        with pytest.raises(ValueError, match="exactly one of"):
            memory.forget()


def test_retries_ride_out_a_capture_service_that_starts_late(world: World, tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    started: list[CaptureApp] = []

    async def start_later() -> None:
        await asyncio.sleep(1.0)
        late = CaptureApp(CaptureSettings(port=port, nats_url=world.nats_url), keyed_security(world.keys_file))
        await late.start()
        started.append(late)

    starting = asyncio.run_coroutine_threadsafe(start_later(), world.loop.loop)
    settings = ClientSettings(
        namespace=NS,
        api_key=world.keys["alice-app"],
        capture_address=f"127.0.0.1:{port}",
        recall_address=world.recall,
        # About 15 s of retries: the late capture service starts in under 2 s on a quiet machine, and
        # in several on one running the rest of `make test` beside it.
        max_attempts=30,
        backoff_initial_s=0.2,
        backoff_max_s=0.5,
    )
    try:
        with Memory(settings=settings) as memory:
            session_id = memory.start_session(agent="planner")  # refused at first: nothing listens yet
            assert session_id.startswith("s-")
        starting.result(timeout=10)
        impatient = settings.model_copy(update={"capture_address": "127.0.0.1:1", "max_attempts": 2})
        with Memory(settings=impatient) as memory, pytest.raises(Unavailable):
            memory.start_session()
    finally:
        for late in started:
            world.loop.run(late.stop())


def test_the_async_client_streams_recalls_and_ends_sessions(world: World) -> None:
    async def scenario() -> None:
        async with (
            AsyncMemory(
                NS, api_key=world.keys["alice-app"], capture_address=world.capture, recall_address=world.recall
            ) as memory,
            memory.session(agent="planner", opening="packing list") as session,
        ):

            async def turns():  # type: ignore[no-untyped-def]
                for i in range(5):
                    yield Turn(f"Packing note {i}: the blue suitcase holds the winter coats.")

            acks = await memory.capture_stream(session.session_id, turns())
            assert len(acks) == 5
            deadline = asyncio.get_running_loop().time() + 30
            while True:
                found = await session.recall("which suitcase holds the coats", k=3)
                if found.memories:
                    break
                assert asyncio.get_running_loop().time() < deadline, "the streamed turns were never recalled"
                await asyncio.sleep(0.2)
            assert "suitcase" in found.memories[0].text
            assert (await session.warm()).token_count > 0
            await session.feedback(found.memories[0].memory_id, "succeeded")

    world.loop.run(scenario())
