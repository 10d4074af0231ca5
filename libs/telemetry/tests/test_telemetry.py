"""Telemetry: the exporter chosen from OTEL_* variables, trace context carried in message headers, and
metrics served over HTTP only when a port is given."""

import urllib.request

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from somnia_telemetry import configure_tracing, context_from_headers, create_metrics, serve_metrics


def test_the_service_name_comes_from_otel_service_name_and_no_collector_is_assumed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "recall-canary")
    provider = configure_tracing("recall", set_global=False)
    assert provider.resource.attributes["service.name"] == "recall-canary"
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="use otlp, console or none"):
        configure_tracing("recall", set_global=False)


def test_with_no_exporter_spans_are_not_recorded_but_still_carry_the_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    tracer = configure_tracing("recall", set_global=False).get_tracer("test")
    headers: dict[str, str] = {}
    with tracer.start_as_current_span("publish") as producer:
        assert not producer.is_recording()
        propagate.inject(headers)
    assert producer.get_span_context().is_valid and "traceparent" in headers
    with tracer.start_as_current_span("consume", context=context_from_headers(headers)) as consumer:
        assert consumer.get_span_context().trace_id == producer.get_span_context().trace_id
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    exporting = configure_tracing("recall", set_global=False)
    exporting.shutdown()  # its console exporter would write after pytest has closed the output
    with exporting.get_tracer("test").start_as_current_span("kept") as kept:
        assert kept.is_recording()


def test_a_span_continues_the_trace_its_message_headers_carry() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    headers: dict[str, str] = {}
    with tracer.start_as_current_span("publish") as producer:
        propagate.inject(headers)
    assert "traceparent" in headers
    with tracer.start_as_current_span("consume", context=context_from_headers(headers)) as consumer:
        assert consumer.get_span_context().trace_id == producer.get_span_context().trace_id
    empty = trace.get_current_span(context_from_headers(None))
    assert not empty.get_span_context().is_valid


def test_metrics_are_served_only_on_a_port(unused_tcp_port: int) -> None:
    metrics = create_metrics()
    serve_metrics(metrics, 0)  # nothing listens: port 0 means no /metrics
    metrics.turns_indexed.inc(3)
    serve_metrics(metrics, unused_tcp_port, host="127.0.0.1")
    body = urllib.request.urlopen(f"http://127.0.0.1:{unused_tcp_port}/metrics", timeout=5).read().decode()
    assert "somnia_turns_indexed_total 3.0" in body


def test_error_series_exist_at_zero_before_the_first_error() -> None:
    from somnia_telemetry.metrics import CAPTURE_REJECTION_CODES, RECALL_ERROR_CODES, create_metrics

    metrics = create_metrics()
    for code in RECALL_ERROR_CODES:
        assert metrics.registry.get_sample_value("somnia_recall_errors_total", {"code": code}) == 0.0
    for code in CAPTURE_REJECTION_CODES:
        assert metrics.registry.get_sample_value("somnia_capture_rejected_total", {"code": code}) == 0.0
