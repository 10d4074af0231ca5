"""cache-warming's settings, from SOMNIA_CACHE_WARMING_* variables (plus SOMNIA_NATS_URL, SOMNIA_WARM_*,
SOMNIA_RANKING_* and the stores' variables)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CacheWarmingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_CACHE_WARMING_", extra="ignore", populate_by_name=True)

    nats_url: str = Field(
        default="nats://127.0.0.1:14222",
        validation_alias=AliasChoices("SOMNIA_CACHE_WARMING_NATS_URL", "SOMNIA_NATS_URL"),
    )
    durable: str = "cache-warming"
    batch_size: int = Field(default=16, ge=1, le=256)
    batch_wait_s: float = Field(default=0.05, gt=0)
    ack_wait_s: float = Field(default=60.0, gt=0)
    max_deliver: int = Field(default=10, ge=1, description="attempts before a session start is given up (logged)")
    max_backoff_s: float = Field(default=30.0, gt=0)
    shutdown_grace_s: float = Field(default=15.0, gt=0)
    # SOMNIA_GRPC_HOST sets every service at once (0.0.0.0 in containers).
    health_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SOMNIA_CACHE_WARMING_HEALTH_HOST", "SOMNIA_GRPC_HOST")
    )
    health_port: int = Field(default=50055, ge=0, le=65535)
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("SOMNIA_CACHE_WARMING_METRICS_PORT", "SOMNIA_METRICS_PORT"),
    )
