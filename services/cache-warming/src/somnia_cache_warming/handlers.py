"""The JetStream side: a durable pull consumer of `session.started`. Each session is warmed inside its own
CONSUMER span and acked once its pack is stored; a store or NATS failure nacks it with a growing delay,
so a crash means the pack is built again."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import Tracer
from somnia_bus import BatchConsumer, ConsumerSpec, Delivery, DeliveryOpener
from somnia_contracts import SESSION_STREAM, SessionStarted, Subjects
from somnia_telemetry import ServiceMetrics, attributes

from somnia_cache_warming.settings import CacheWarmingSettings
from somnia_cache_warming.warmer import SessionWarmer

log = logging.getLogger("somnia.cache_warming")


def consumer_specs(settings: CacheWarmingSettings) -> list[ConsumerSpec]:
    return [settings.consumer(SESSION_STREAM, Subjects.SESSION_STARTED_ALL, pending_batches=4)]


def _span_attributes(started: SessionStarted) -> Mapping[str, Any]:
    return {attributes.NAMESPACE: started.namespace, attributes.SESSION_ID: started.session_id}


def create_consumer(
    warmer: SessionWarmer, tracer: Tracer, settings: CacheWarmingSettings, metrics: ServiceMetrics
) -> BatchConsumer[SessionStarted]:
    async def warm(one: list[Delivery[SessionStarted]]) -> None:
        with metrics.warm_pack_build.time():
            warmed = await warmer.warm(one[0].event)
        if warmed:
            metrics.warm_packs.labels("warmed").inc()

    return BatchConsumer(
        DeliveryOpener(SessionStarted.model_validate_json, tracer, "cache_warming.warm", _span_attributes, log),
        warm,
        settings.retry,
        log,
        per_message=True,
    )
