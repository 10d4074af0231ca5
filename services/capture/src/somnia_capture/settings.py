"""capture's settings, from SOMNIA_CAPTURE_* variables (SOMNIA_NATS_URL is shared by all services)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from somnia_service_runtime import ServiceSettings


class CaptureSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_CAPTURE_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=50051, ge=0, le=65535)
    max_turn_bytes: int = Field(default=256 * 1024, gt=0, description="content + tool call, UTF-8 bytes")
    max_turns_per_request: int = Field(default=1000, gt=0)
    publish_timeout_s: float = Field(default=5.0, gt=0)
    shutdown_grace_s: float = Field(default=5.0, ge=0)
    # Calls in flight at once; more are refused with RESOURCE_EXHAUSTED (backpressure, not memory growth).
    max_concurrent_rpcs: int = Field(default=256, ge=1)
