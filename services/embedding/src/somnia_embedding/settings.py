"""embedding's settings, from SOMNIA_EMBEDDING_* variables (plus SOMNIA_NATS_URL, SOMNIA_EMBEDDER_*,
SOMNIA_STORE_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from somnia_service_runtime import ConsumerSettings


class EmbeddingSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_EMBEDDING_", extra="ignore", populate_by_name=True)

    durable: str = "embedding"
    chunk_words: int = Field(default=180, ge=16, description="MiniLM reads about 256 word pieces")
    chunk_overlap_words: int = Field(default=30, ge=0)
    # How often a busy namespace's memory count is posted to the usage board (storage quotas read it).
    usage_report_interval_s: float = Field(default=1.0, gt=0)
    health_port: int = Field(default=50053, ge=0, le=65535)
