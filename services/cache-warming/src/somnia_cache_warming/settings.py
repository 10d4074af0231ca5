"""cache-warming's settings, from SOMNIA_CACHE_WARMING_* variables (plus SOMNIA_NATS_URL, SOMNIA_WARM_*,
SOMNIA_RANKING_* and the stores' variables)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from somnia_service_runtime import ConsumerSettings


class CacheWarmingSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_CACHE_WARMING_", extra="ignore", populate_by_name=True)

    durable: str = "cache-warming"
    batch_size: int = Field(default=16, ge=1, le=256)
    max_deliver: int = Field(default=10, ge=1, description="attempts before a session start is given up (logged)")
    health_port: int = Field(default=50055, ge=0, le=65535)
