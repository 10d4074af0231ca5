"""`somnia status` reads each consumer's backlog from JetStream: messages waiting and delivered unacked."""

import nats
import pytest
from nats.js.api import ConsumerConfig
from somnia_cli.backlog import consumer_backlogs
from somnia_contracts import SESSION_STREAM, Subjects
from somnia_nats_server import NatsServer

pytestmark = pytest.mark.integration


async def test_each_consumer_shows_what_waits_for_it(nats_server: NatsServer) -> None:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await js.add_stream(name=SESSION_STREAM.name, subjects=list(SESSION_STREAM.subjects))
    await js.add_consumer(
        SESSION_STREAM.name, ConsumerConfig(durable_name="embedding", filter_subject=Subjects.SESSION_TURN_ALL)
    )
    for n in range(5):
        await js.publish(Subjects.session_turn("a/b/c", "s1"), f"{n}".encode())
    subscription = await js.pull_subscribe_bind("embedding", SESSION_STREAM.name)
    await subscription.fetch(2)  # delivered, not acked
    await client.close()
    assert await consumer_backlogs(nats_server.url) == [(SESSION_STREAM.name, "embedding", 3, 2)]
