"""dreaming's settings, from SOMNIA_DREAMING_* variables (plus SOMNIA_NATS_URL and the stores' variables)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from somnia_contracts import DREAM_RUNS_BUCKET
from somnia_service_runtime import ConsumerSettings


class MiningSettings(BaseSettings):
    """What counts as a pattern. Support is a count of sessions; a pattern must recur to be one."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_DREAMING_", extra="ignore")

    min_support: int = Field(default=3, ge=2, description="sessions a pattern must appear in")
    # ...and this share of them: in 10,000 sessions, 3 is chance (noise between the steps of a real one).
    min_support_share: float = Field(default=0.005, ge=0.0, le=1.0)
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    max_sequence_length: int = Field(default=5, ge=2, le=10)
    # A topic in more than this share of sessions is the background (the user's own name), not a pattern.
    max_topic_share: float = Field(default=0.5, gt=0.0, le=1.0)
    max_patterns: int = Field(default=200, ge=1)
    # Kept on the graph (SUPPORTS) and in the run checkpoint, which must stay under NATS's 1 MB message.
    max_supporting_turns: int = Field(default=50, ge=1, le=500)


class SuccessSettings(BaseSettings):
    """The Beta posterior of a pattern's success: prior Beta(a, b), lower bound at `credible_level`."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_DREAMING_", extra="ignore")

    prior_successes: float = Field(default=1.0, gt=0.0)
    prior_failures: float = Field(default=1.0, gt=0.0)
    credible_level: float = Field(default=0.9, gt=0.5, lt=1.0, description="one-sided: the lower bound's level")


class GroupSettings(BaseSettings):
    """Communities (Louvain on the entity graph) and clusters (HDBSCAN on memory vectors)."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_DREAMING_", extra="ignore")

    min_edge_weight: int = Field(default=2, ge=1, description="co-mentions before two entities are linked")
    louvain_resolution: float = Field(default=1.0, gt=0.0)
    min_community_size: int = Field(default=3, ge=2)
    max_communities: int = Field(default=100, ge=1)
    # Clustering reads every memory of the window but fits on a uniform sample of at most this many.
    max_cluster_points: int = Field(default=6000, ge=100)
    cluster_dimensions: int = Field(default=32, ge=2, description="PCA dimensions HDBSCAN runs in")
    min_cluster_size: int = Field(default=6, ge=2)
    min_cluster_sessions: int = Field(default=2, ge=1, description="a cluster inside one session teaches nothing new")
    max_clusters: int = Field(default=100, ge=1)
    # A group keeps its id when this share of its members (Jaccard) is the same as last run's.
    stable_id_overlap: float = Field(default=0.3, gt=0.0, le=1.0)


class ConsolidationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_DREAMING_", extra="ignore")

    quotes_per_insight: int = Field(default=4, ge=1, le=20)
    # Recurring topics become insights too (what was said about one subject across sessions), the most
    # supported first, up to this many per run.
    topic_insights: int = Field(default=30, ge=0)
    quote_chars: int = Field(default=220, ge=40)
    # Abstractive insights from an OpenAI-compatible chat endpoint; empty = extractive, offline.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: float = Field(default=60.0, gt=0)


class DreamingSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_DREAMING_", extra="ignore", populate_by_name=True)

    window_days: float = Field(default=7.0, gt=0.0, description="a run without a window dreams over these days")
    # What a scheduled run (the CronJob) dreams over when not told: comma-separated in the variable.
    namespaces: str = ""

    @property
    def namespace_list(self) -> list[str]:
        return [n.strip() for n in self.namespaces.split(",") if n.strip()]

    page_size: int = Field(default=200, ge=1, le=5000, description="sessions or memories read per page")
    runs_bucket: str = DREAM_RUNS_BUCKET
    durable: str = "dreaming"
    # One run at a time: a run is long, and its checkpoint makes a redelivered request resume it.
    batch_size: int = Field(default=1, ge=1, le=1)
    batch_wait_s: float = Field(default=1.0, gt=0)
    ack_wait_s: float = Field(default=1800.0, gt=0, description="a run may take this long before redelivery")
    max_deliver: int = Field(default=3, ge=1)
    max_backoff_s: float = Field(default=300.0, gt=0)
    shutdown_grace_s: float = Field(default=30.0, gt=0)
    health_port: int = Field(default=50056, ge=0, le=65535)


@dataclass(frozen=True)
class DreamSettings:
    """Every setting a dream run reads, read once where the process (or the command) starts."""

    service: DreamingSettings
    mining: MiningSettings
    success: SuccessSettings
    groups: GroupSettings
    consolidation: ConsolidationSettings

    @classmethod
    def from_env(cls, service: DreamingSettings | None = None) -> DreamSettings:
        return cls(
            service or DreamingSettings(),
            MiningSettings(),
            SuccessSettings(),
            GroupSettings(),
            ConsolidationSettings(),
        )
