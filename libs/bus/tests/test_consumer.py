"""The one consumer runtime on a real nats-server: bad bodies are terminated and never retried, good ones
acked only after the work succeeded, a failure comes back (redelivered) until it succeeds, and a
per-message consumer settles each message on its own."""

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

import nats
import pytest
from faststream.nats import NatsBroker
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel
from somnia_bus import (
    BatchConsumer,
    ConsumerSpec,
    Delivery,
    DeliveryOpener,
    Retry,
    close_broker,
    create_broker,
    ensure_streams,
    subscribe_batches,
)
from somnia_contracts import StreamSpec

pytestmark = pytest.mark.integration

STREAM = StreamSpec(name="TEST_CONSUMER", subjects=("test.consumer.>",), duplicate_window_s=60.0, max_age_s=600.0)


class Ping(BaseModel):
    n: int


LOG = logging.getLogger("test.consumer")
Process = Callable[[list[Delivery[Ping]]], Awaitable[None]]


async def run_consumer(
    url: str, bodies: list[bytes], process: Process, *, per_message: bool
) -> tuple[BatchConsumer[Ping], NatsBroker]:
    broker = create_broker(url, name="test-consumer")
    await broker.connect()
    await ensure_streams(broker, STREAM)
    log = LOG
    consumer = BatchConsumer(
        DeliveryOpener(Ping.model_validate_json, TracerProvider().get_tracer("t"), "test.handle", lambda p: {}, log),
        process,
        Retry(max_backoff_s=0.1, max_deliver=5),
        log,
        per_message=per_message,
    )
    spec = ConsumerSpec(
        STREAM, "test.consumer.>", "test", batch_size=8, batch_wait_s=0.05, ack_wait_s=5.0, max_ack_pending=64
    )
    subscribe_batches(broker, [spec], consumer.handle)
    await broker.start()
    client = await nats.connect(url)
    for body in bodies:
        await client.jetstream().publish("test.consumer.x", body, stream=STREAM.name)
    await client.close()
    return consumer, broker


async def pending(url: str) -> int:
    client = await nats.connect(url)
    info = await client.jetstream().consumer_info(STREAM.name, "test")
    await client.close()
    return int(info.num_pending or 0) + int(info.num_ack_pending or 0)


async def test_bad_bodies_are_dropped_and_a_failing_batch_comes_back_until_done(nats_server) -> None:  # type: ignore[no-untyped-def]
    seen: Counter[int] = Counter()
    failures = 2

    async def process(batch: list[Delivery[Ping]]) -> None:
        nonlocal failures
        for d in batch:
            seen[d.event.n] += 1
        if failures:
            failures -= 1
            raise RuntimeError("store is down")

    bodies = [json.dumps({"n": n}).encode() for n in range(5)] + [b"not json", b'{"n": "x"}']
    consumer, broker = await run_consumer(nats_server.url, bodies, process, per_message=False)
    try:
        for _ in range(100):
            if consumer.handled == 5 and await pending(nats_server.url) == 0:
                break
            await asyncio.sleep(0.1)
        assert consumer.handled == 5  # acked once each, after the work succeeded
        assert set(seen) == set(range(5)) and min(seen.values()) >= 2  # redelivered after the failures
        assert await pending(nats_server.url) == 0  # the two bad bodies were terminated, not retried
    finally:
        await close_broker(broker)


async def test_per_message_settles_each_on_its_own(nats_server) -> None:  # type: ignore[no-untyped-def]
    attempts: Counter[int] = Counter()

    async def process(one: list[Delivery[Ping]]) -> None:
        attempts[one[0].event.n] += 1
        if one[0].event.n == 1 and attempts[1] < 3:
            raise RuntimeError("only this one fails")

    bodies = [json.dumps({"n": n}).encode() for n in range(3)]
    consumer, broker = await run_consumer(nats_server.url, bodies, process, per_message=True)
    try:
        for _ in range(100):
            if consumer.handled == 3:
                break
            await asyncio.sleep(0.1)
        assert consumer.handled == 3
        assert attempts[0] == attempts[2] == 1 and attempts[1] == 3  # its batch-mates were not sent back
    finally:
        await close_broker(broker)
