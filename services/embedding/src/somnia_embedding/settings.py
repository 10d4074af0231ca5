"""embedding's settings, from SOMNIA_EMBEDDING_* variables (plus SOMNIA_NATS_URL, SOMNIA_EMBEDDER_*,
SOMNIA_STORE_*)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbeddingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_EMBEDDING_", extra="ignore", populate_by_name=True)

    nats_url: str = Field(
        default="nats://127.0.0.1:14222",
        validation_alias=AliasChoices("SOMNIA_EMBEDDING_NATS_URL", "SOMNIA_NATS_URL"),
    )
    durable: str = "embedding"
    batch_size: int = Field(default=64, ge=1, le=1024, description="turns pulled and embedded together")
    batch_wait_s: float = Field(default=0.05, gt=0, description="longest wait to fill a batch")
    ack_wait_s: float = Field(default=60.0, gt=0, description="redelivery after a silent crash")
    max_deliver: int = Field(default=20, ge=1, description="attempts before a message is given up (logged)")
    max_backoff_s: float = Field(default=30.0, gt=0, description="longest delay before a failed batch retries")
    chunk_words: int = Field(default=180, ge=16, description="MiniLM reads about 256 word pieces")
    chunk_overlap_words: int = Field(default=30, ge=0)
    shutdown_grace_s: float = Field(default=15.0, gt=0, description="a batch in flight may finish")
    # SOMNIA_GRPC_HOST sets every service at once (0.0.0.0 in containers).
    health_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("SOMNIA_EMBEDDING_HEALTH_HOST", "SOMNIA_GRPC_HOST")
    )
    health_port: int = Field(default=50053, ge=0, le=65535)
    # Prometheus /metrics; 0 (the default on one machine) serves none. SOMNIA_METRICS_PORT sets every service.
    metrics_port: int = Field(
        default=0, ge=0, le=65535, validation_alias=AliasChoices("SOMNIA_EMBEDDING_METRICS_PORT", "SOMNIA_METRICS_PORT")
    )
