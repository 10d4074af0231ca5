"""capture's settings, from SOMNIA_CAPTURE_* variables (SOMNIA_NATS_URL is shared by all services)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CaptureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_CAPTURE_", extra="ignore", populate_by_name=True)

    # SOMNIA_GRPC_HOST sets every service at once (0.0.0.0 in containers).
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("SOMNIA_CAPTURE_HOST", "SOMNIA_GRPC_HOST"))
    port: int = Field(default=50051, ge=0, le=65535)
    nats_url: str = Field(
        default="nats://127.0.0.1:14222",
        validation_alias=AliasChoices("SOMNIA_CAPTURE_NATS_URL", "SOMNIA_NATS_URL"),
    )
    max_turn_bytes: int = Field(default=256 * 1024, gt=0, description="content + tool call, UTF-8 bytes")
    max_turns_per_request: int = Field(default=1000, gt=0)
    publish_timeout_s: float = Field(default=5.0, gt=0)
    shutdown_grace_s: float = Field(default=5.0, ge=0)
    # Prometheus /metrics; 0 (the default on one machine) serves none. SOMNIA_METRICS_PORT sets every service.
    metrics_port: int = Field(
        default=0, ge=0, le=65535, validation_alias=AliasChoices("SOMNIA_CAPTURE_METRICS_PORT", "SOMNIA_METRICS_PORT")
    )
