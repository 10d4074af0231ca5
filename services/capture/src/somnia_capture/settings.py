"""capture's settings, from SOMNIA_CAPTURE_* variables (SOMNIA_NATS_URL is shared by all services)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict
from somnia_auth import InvalidGrant, StorageQuotas
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
    # Storage quotas: memories a namespace may hold (0 is no cap), and caps by namespace pattern as JSON,
    # e.g. '{"acme/*": 100000, "acme/support-bot/*": 500000}' (the most specific pattern wins).
    max_memories_per_namespace: int = Field(default=0, ge=0)
    storage_quotas: dict[str, int] = Field(default_factory=dict)
    usage_refresh_s: float = Field(default=1.0, gt=0)

    @field_validator("storage_quotas")
    @classmethod
    def _patterns_are_valid(cls, value: dict[str, int]) -> dict[str, int]:
        try:
            StorageQuotas.of(0, value)
        except InvalidGrant as exc:
            raise ValueError(f"SOMNIA_CAPTURE_STORAGE_QUOTAS: {exc}") from exc
        return value

    def storage(self) -> StorageQuotas:
        return StorageQuotas.of(self.max_memories_per_namespace, self.storage_quotas)
