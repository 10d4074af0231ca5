"""Prometheus metrics every service may export, defined once so dashboards and code agree.

Each process builds its own registry (no global state) and serves it on SOMNIA_METRICS_PORT when set.
The dashboards in charts/somnia/dashboards query exactly these names (a test checks that).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class ServiceMetrics:
    registry: CollectorRegistry
    turns_captured: Counter
    capture_rejected: Counter
    turns_indexed: Counter
    capture_to_indexed: Histogram
    indexing_failures: Counter
    recall_latency: Histogram
    recall_errors: Counter
    graph_events_linked: Counter
    graph_failures: Counter
    consumer_pending: Gauge
    warm_pack_build: Histogram
    warm_packs: Counter
    wake_delta_latency: Histogram
    feedback_reports: Counter
    forgotten: Counter


# The statuses each error counter counts. Their series exist from the start, at 0: a dashboard's error
# panel then shows none instead of "no data", and rate() sees the first error as a rise from 0.
CAPTURE_REJECTION_CODES = ("PERMISSION_DENIED", "RESOURCE_EXHAUSTED")
RECALL_ERROR_CODES = ("PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT", "NOT_FOUND", "UNAVAILABLE")


def create_metrics() -> ServiceMetrics:
    metrics = _create_metrics()
    for code in CAPTURE_REJECTION_CODES:
        metrics.capture_rejected.labels(code)
    for code in RECALL_ERROR_CODES:
        metrics.recall_errors.labels(code)
    return metrics


def _create_metrics() -> ServiceMetrics:
    registry = CollectorRegistry()
    return ServiceMetrics(
        registry=registry,
        turns_captured=Counter("somnia_turns_captured", "Turns accepted by capture", ["result"], registry=registry),
        capture_rejected=Counter(
            "somnia_capture_rejected", "Capture calls refused, by gRPC status", ["code"], registry=registry
        ),
        turns_indexed=Counter("somnia_turns_indexed", "Turns written to the memory store", registry=registry),
        capture_to_indexed=Histogram(
            "somnia_capture_to_indexed_seconds",
            "From capture accepting a turn to its memories being durable",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        indexing_failures=Counter("somnia_indexing_failures", "Batches that failed to index", registry=registry),
        recall_latency=Histogram(
            "somnia_recall_seconds", "Recall latency inside the service", buckets=LATENCY_BUCKETS, registry=registry
        ),
        recall_errors=Counter(
            "somnia_recall_errors", "Recall calls that failed, by gRPC status", ["code"], registry=registry
        ),
        graph_events_linked=Counter("somnia_graph_events_linked", "Events written to the graph", registry=registry),
        graph_failures=Counter("somnia_graph_failures", "Batches that failed to link", registry=registry),
        consumer_pending=Gauge(
            "somnia_consumer_pending_messages",
            "Messages a durable consumer has not acknowledged yet (waiting plus in flight)",
            ["stream", "consumer"],
            registry=registry,
        ),
        warm_pack_build=Histogram(
            "somnia_warm_pack_build_seconds", "Time to build one warm pack", buckets=LATENCY_BUCKETS, registry=registry
        ),
        warm_packs=Counter(
            "somnia_warm_packs",
            "Warm packs served or stored, by source (stored: from the KV bucket; built: built on demand; "
            "warmed: built at session start)",
            ["source"],
            registry=registry,
        ),
        wake_delta_latency=Histogram(
            "somnia_wake_delta_seconds",
            "Live wake: time to answer one WakeDelta inside the service",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        feedback_reports=Counter(
            "somnia_feedback_reports", "Feedback accepted, by signal", ["signal"], registry=registry
        ),
        forgotten=Counter(
            "somnia_forgotten",
            "Erasures done by Forget, by target (memory, session, subject, namespace)",
            ["target"],
            registry=registry,
        ),
    )


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported_metric_names(metrics: ServiceMetrics) -> set[str]:
    """Every series name Prometheus will scrape (counters get _total, histograms _bucket/_sum/_count),
    whether or not a labelled series has been touched yet."""
    return {
        family.name + suffix for family in metrics.registry.collect() for suffix in SUFFIXES.get(family.type, ("",))
    }


def serve_metrics(metrics: ServiceMetrics, port: int, host: str = "0.0.0.0") -> None:
    """Expose /metrics over HTTP in a daemon thread; port 0 leaves metrics unexported."""
    if port:
        start_http_server(port, addr=host, registry=metrics.registry)
