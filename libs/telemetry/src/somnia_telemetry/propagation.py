"""Trace context in NATS message headers (W3C traceparent via the global propagator)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate
from opentelemetry.context import Context


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return headers with the current trace context added."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str] | None) -> Context:
    """The trace context a message was published in (an empty context when it carries none)."""
    return propagate.extract(dict(headers or {}))
