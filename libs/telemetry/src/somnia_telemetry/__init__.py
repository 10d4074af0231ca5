"""OpenTelemetry for Somnia's services: one setup from the standard OTEL_* variables, one attribute
registry, and helpers that carry trace context through NATS headers."""

from somnia_telemetry import attributes
from somnia_telemetry.metrics import ServiceMetrics, create_metrics, serve_metrics
from somnia_telemetry.propagation import context_from_headers
from somnia_telemetry.setup import configure_tracing

__all__ = [
    "ServiceMetrics",
    "attributes",
    "configure_tracing",
    "context_from_headers",
    "create_metrics",
    "serve_metrics",
]
