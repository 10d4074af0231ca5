"""The promotion rule's thresholds and prices, from SOMNIA_PARAMETRIC_* variables. Prices are in any one
currency (the defaults read as US dollars); only their ratios decide."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PromotionSettings(BaseSettings):
    """When a memory earns a place in the weights: stable, broad, successful, and worth it."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_PARAMETRIC_", extra="ignore")

    # Stable: nothing superseded, retracted, disproved or made uncertain, for this long.
    stable_days: float = Field(default=14.0, ge=0.0)
    # Broad: the sessions and agents it came from (insights, procedures) or was recalled in (facts).
    min_sessions: int = Field(default=5, ge=1)
    min_agents: int = Field(default=1, ge=1)
    # Successful: a procedure's lower credible bound of success (other kinds have no outcomes to pass).
    min_success_lower: float = Field(default=0.6, ge=0.0, le=1.0)
    # Worth it: tokens it occupies in a warm pack x the share of sessions that reach for it x sessions
    # expected over the horizon x price per token must beat what it adds to a run; and the batch's
    # savings must beat the run's fixed cost and serving over the horizon.
    price_per_million_tokens: float = Field(default=3.0, ge=0.0, description="what a prompt token costs")
    horizon_days: float = Field(default=90.0, gt=0.0, description="how long an adapter is expected to serve")
    # Sessions a day the namespace is expected to run; 0 = measured over the dream window.
    expected_sessions_per_day: float = Field(default=0.0, ge=0.0)
    training_cost_per_run: float = Field(default=1.0, ge=0.0, description="a training run, whatever its size")
    training_cost_per_memory: float = Field(default=0.002, ge=0.0, description="what each memory adds to a run")
    serving_cost_per_day: float = Field(default=0.05, ge=0.0, description="keeping one adapter loaded")
    min_memories: int = Field(default=3, ge=1, description="fewer promoted memories than this train nothing")
    max_memories: int = Field(default=500, ge=1, description="an adapter holds at most this many memories")


class DatasetSettings(BaseSettings):
    """How promoted memories become training records and probes."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_PARAMETRIC_", extra="ignore")

    datasets_dir: str = Field(default="", description="where datasets are written; empty = <data dir>/parametric")
    answer_chars: int = Field(default=400, ge=40, le=4000, description="a memory's answer is cut to this")
    phrasings: int = Field(default=4, ge=1, le=8, description="training questions per memory")
    probes: int = Field(default=2, ge=1, le=4, description="held-out closed-book questions per memory")


class TrainingSettings(BaseSettings):
    """What the trainer is asked to do (it reads the same names from its command line)."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_PARAMETRIC_", extra="ignore")

    # A local path or a name the trainer's image holds; `tiny-random` builds a small random causal LM
    # from a config (no download), which is what the tests and `somnia up` use.
    base_model: str = "tiny-random"
    lora_rank: int = Field(default=8, ge=1, le=256)
    lora_alpha: int = Field(default=16, ge=1)
    epochs: int = Field(default=40, ge=1)
    learning_rate: float = Field(default=3e-3, gt=0.0)
    seed: int = 0
