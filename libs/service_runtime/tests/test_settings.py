"""The settings base: a service's own variable wins, the machine-wide one fills in, bad values say which."""

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict
from somnia_contracts import SESSION_STREAM
from somnia_service_runtime import ConsumerSettings, ServiceSettings


class ExampleSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_EXAMPLE_", extra="ignore", populate_by_name=True)

    durable: str = "example"
    batch_size: int = 8


class ApiSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_API_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"


def test_defaults_work_on_one_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SOMNIA_NATS_URL", "SOMNIA_GRPC_HOST", "SOMNIA_METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = ExampleSettings()
    assert settings.nats_url == "nats://127.0.0.1:14222"
    assert (settings.health_host, settings.metrics_port) == ("127.0.0.1", 0)


def test_the_machine_wide_variable_fills_in_and_the_services_own_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMNIA_NATS_URL", "nats://nats:4222")
    monkeypatch.setenv("SOMNIA_GRPC_HOST", "0.0.0.0")
    monkeypatch.setenv("SOMNIA_METRICS_PORT", "9464")
    assert ExampleSettings().nats_url == "nats://nats:4222"
    assert ExampleSettings().health_host == "0.0.0.0" and ApiSettings().host == "0.0.0.0"
    monkeypatch.setenv("SOMNIA_EXAMPLE_NATS_URL", "nats://own:4222")
    monkeypatch.setenv("SOMNIA_EXAMPLE_METRICS_PORT", "9999")
    settings = ExampleSettings()
    assert (settings.nats_url, settings.metrics_port) == ("nats://own:4222", 9999)
    assert ExampleSettings(nats_url="nats://given:1").nats_url == "nats://given:1"


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMNIA_EXAMPLE_METRICS_PORT", "70000")
    with pytest.raises(ValidationError, match="SOMNIA_EXAMPLE_METRICS_PORT"):
        ExampleSettings()


def test_a_consumer_spec_from_settings() -> None:
    settings = ExampleSettings(batch_size=8, ack_wait_s=5.0, max_deliver=3, max_backoff_s=2.0)
    spec = settings.consumer(SESSION_STREAM, "somnia.v1.session.turn.>", suffix="-turns", pending_batches=4)
    assert (spec.durable, spec.batch_size, spec.max_ack_pending, spec.ack_wait_s) == ("example-turns", 8, 32, 5.0)
    assert (settings.retry.max_deliver, settings.retry.max_backoff_s) == (3, 2.0)
