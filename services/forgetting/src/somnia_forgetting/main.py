"""forgetting's process: consumers of feedback, turns and closed sessions; a sweep loop over the
namespaces due (those whose sessions closed since their last sweep, remembered in a KV bucket so a
restart forgets none); a gRPC health endpoint. The same sweep runs from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue
from opentelemetry.trace import TracerProvider
from somnia_bus import JetStreamPublisher, latest_values, open_key_value
from somnia_contracts import DREAM_STREAM, MEMORY_STREAM, SESSION_STREAM, MemoryArchived, namespace_key_prefix
from somnia_memory_model import ActivationLaw, StrengthSettings
from somnia_parametric import AdapterRegistry, StaleAdapters
from somnia_service_runtime import ConsumerProcess
from somnia_service_runtime import run as run_service
from somnia_stores import Stores

from somnia_forgetting.adapters import AdapterAudit
from somnia_forgetting.handlers import NegativeCounter, consumer_specs, create_consumer
from somnia_forgetting.negative import NegativeKnowledge
from somnia_forgetting.settings import ForgettingSettings
from somnia_forgetting.sweep import ArchivedSink, Sweeper

log = logging.getLogger("somnia.forgetting")
# Memory ids per memory.archived / memory.restored event (about 34 bytes each).
IDS_PER_EVENT = 1000


def create_sweeper(stores: Stores, settings: ForgettingSettings, law: ActivationLaw, bus: NatsBroker | None) -> Sweeper:
    """A sweeper that announces what it archives and the digests it writes when there is a bus."""
    publisher = JetStreamPublisher(bus) if bus is not None else None
    return Sweeper(
        stores.store,
        stores.graph,
        stores.embedder,
        law,
        settings,
        on_archived=archived_publisher(publisher) if publisher is not None else None,
        announcer=publisher,
    )


def archived_publisher(publisher: JetStreamPublisher) -> ArchivedSink:
    async def publish(namespace: str, session_id: str, ids: Sequence[str], digest: str, why: str) -> None:
        for start in range(0, len(ids), IDS_PER_EVENT):  # events stay far below NATS's 1 MB
            chunk = tuple(ids[start : start + IDS_PER_EVENT])
            event = MemoryArchived(
                namespace=namespace,
                session_id=session_id,
                memory_ids=chunk,
                digest_id=digest,
                reason="budget" if why == "budget" else "weak",
                archived_at=datetime.now(UTC),
            )
            await publisher.publish_event(event)

    return publish


class DueBucket:
    """Namespaces due for a sweep, one key each (`<namespace prefix>.due`), so erasing a namespace purges
    its key with the rest."""

    def __init__(self, kv: KeyValue, js: JetStreamContext, bucket: str) -> None:
        self._kv, self._js, self._bucket = kv, js, bucket

    async def mark_due(self, namespace: str) -> None:
        await self._kv.put(f"{namespace_key_prefix(namespace)}.due", json.dumps({"namespace": namespace}).encode())

    async def due(self) -> list[tuple[str, str]]:
        """(key, namespace) of each namespace due; read through the bucket's stream, which the service's
        NATS user may read (the KV client's keys() would look the stream up by name first)."""
        prefix = f"$KV.{self._bucket}."
        values = await latest_values(self._js, f"KV_{self._bucket}", f"{prefix}>")
        return [
            (subject.removeprefix(prefix), str(json.loads(value)["namespace"])) for subject, value in values.items()
        ]

    async def done(self, key: str) -> None:
        await self._kv.delete(key)


class ForgettingApp:
    def __init__(
        self,
        settings: ForgettingSettings,
        stores: Stores,
        law: ActivationLaw,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.law = law
        self.process = ConsumerProcess(
            "forgetting", settings, (SESSION_STREAM, MEMORY_STREAM, DREAM_STREAM), tracer_provider
        )
        self.process.readiness.watch("the memory store", stores.store.reachable)
        self.process.readiness.watch("the graph", stores.graph.reachable)
        self.broker = self.process.broker
        self.negative = NegativeCounter()
        self.due: DueBucket | None = None
        self.sweeps = 0
        self._sweeper: Sweeper | None = None
        self.adapters: AdapterAudit | None = None
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> int:
        await self.stores.check_embedder()
        await self.process.connect()
        js = self.broker.connection.jetstream()
        kv = await open_key_value(js, KeyValueConfig(bucket=self.settings.bucket, history=1))
        self.due = DueBucket(kv, js, self.settings.bucket)
        publisher = JetStreamPublisher(self.broker)
        negative = NegativeKnowledge(self.stores.store, self.stores.graph, self.stores.embedder, publisher)
        registry = AdapterRegistry(js)
        await registry.open()
        stale = StaleAdapters(registry, publisher)
        self.adapters = AdapterAudit(registry, stale, self.stores.store, self.stores.graph)
        consumer = create_consumer(negative, self.due, self.process.tracer, self.settings, self.negative, stale)
        self.process.consume(consumer_specs(self.settings), consumer.handle)
        port = await self.process.start()
        self._sweeper = create_sweeper(self.stores, self.settings, self.law, self.broker)
        self._loop = asyncio.create_task(self._sweep_forever())
        return port

    async def sweep_due(self) -> int:
        """Sweep every namespace due now; returns how many were swept."""
        if self.due is None or self._sweeper is None:
            raise RuntimeError("ForgettingApp.start() was not awaited")
        swept = 0
        for key, namespace in await self.due.due():
            await self._sweeper.sweep(namespace)
            if self.adapters is not None:  # what the sweep archived, and what changed since, leaves the weights
                await self.adapters.check(namespace)
            await self.due.done(key)
            swept += 1
        self.sweeps += swept
        return swept

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval_s)
            try:
                await self.sweep_due()
            except Exception as exc:  # the stores are down: the namespaces stay due for the next round
                log.warning("sweep failed, retrying in %.0f s: %r", self.settings.sweep_interval_s, exc)

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await self.process.stop()
        await self.stores.aclose()


async def create_app(settings: ForgettingSettings, tracer_provider: TracerProvider | None = None) -> ForgettingApp:
    # Forgetting embeds only what it writes (negative memories, digests), now and then: the model loads
    # on the first of them instead of sitting in an idle process.
    stores = await Stores.open(lazy_embedder=True)
    return ForgettingApp(settings, stores, StrengthSettings().law(), tracer_provider)


def run() -> None:
    run_service("forgetting", create_app, ForgettingSettings)
