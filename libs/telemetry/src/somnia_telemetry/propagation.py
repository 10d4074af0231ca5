"""Trace context from NATS message headers (W3C traceparent via the global propagator). Publishing
injects it through FastStream's NatsTelemetryMiddleware."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate
from opentelemetry.context import Context


def context_from_headers(headers: Mapping[str, str] | None) -> Context:
    """The trace context a message was published in (an empty context when it carries none)."""
    return propagate.extract(dict(headers or {}))
