"""The JetStream side of graph: session events, indexed memories, feedback and uses, pulled in batches and
linked in one graph transaction per batch (the shared consumer runtime acks only after it committed)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from opentelemetry.trace import Tracer
from somnia_bus import BatchConsumer, ConsumerSpec, Delivery, DeliveryOpener
from somnia_contracts import MEMORY_STREAM, SESSION_STREAM, Subjects, parse_event
from somnia_telemetry import ServiceMetrics, attributes

from somnia_graph.service import GraphEvent, GraphLinker
from somnia_graph.settings import GraphServiceSettings

log = logging.getLogger("somnia.graph")


def consumer_specs(settings: GraphServiceSettings) -> list[ConsumerSpec]:
    """One durable pull consumer per kind of event (session events, indexed memories, feedback, uses)."""
    return [
        settings.consumer(SESSION_STREAM, Subjects.SESSION_ALL, suffix="-sessions"),
        settings.consumer(MEMORY_STREAM, Subjects.MEMORY_INDEXED_ALL, suffix="-memories"),
        settings.consumer(MEMORY_STREAM, Subjects.MEMORY_FEEDBACK_ALL, suffix="-feedback"),
        settings.consumer(MEMORY_STREAM, Subjects.MEMORY_RECALLED_ALL, suffix="-uses"),
    ]


def _span_attributes(event: GraphEvent) -> Mapping[str, Any]:
    return {attributes.NAMESPACE: event.namespace, attributes.SESSION_ID: event.session_id}


def create_consumer(
    linker: GraphLinker, tracer: Tracer, settings: GraphServiceSettings, metrics: ServiceMetrics
) -> BatchConsumer[GraphEvent]:
    async def link(batch: list[Delivery[GraphEvent]]) -> None:
        await linker.link([d.event for d in batch], [d.sequence for d in batch])
        metrics.graph_events_linked.inc(len(batch))

    return BatchConsumer(
        DeliveryOpener(lambda body: cast(GraphEvent, parse_event(body)), tracer, "graph.link", _span_attributes, log),
        link,
        settings.retry,
        log,
        on_failure=lambda _: metrics.graph_failures.inc(),
    )
