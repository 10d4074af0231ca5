"""forgetting's settings, from SOMNIA_FORGETTING_* variables (plus SOMNIA_NATS_URL, the stores' variables
and the strength law's SOMNIA_RANKING_* parameters, which Recall reads too: both must agree on what a
memory's strength is)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict
from somnia_contracts import FORGETTING_BUCKET
from somnia_service_runtime import ConsumerSettings


class ForgettingSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_FORGETTING_", extra="ignore", populate_by_name=True)

    # Below this strength an episodic memory fades: consolidated into its session's digest, then
    # archived. 0.3 is a memory about 110 days old that was never used again (docs/forgetting.md).
    archive_below: float = Field(default=0.3, gt=0.0, lt=1.0)
    # A faded memory is archived when a stronger near-duplicate of it stays hot (it is redundant), or
    # when it is weaker still than this (about a year old, never used): unique detail is kept longer.
    archive_unique_below: float = Field(default=0.2, gt=0.0, lt=1.0)
    # Near-duplicates: cosine at least this among a memory's `duplicate_neighbours` nearest hot memories.
    duplicate_cosine: float = Field(default=0.9, gt=0.0, le=1.0)
    duplicate_neighbours: int = Field(default=8, ge=1, le=100)
    # Nothing younger than this is archived for weakness, however weak (two weeks of grace to be used).
    min_age_days: float = Field(default=14.0, ge=0.0)
    # The most memories a namespace keeps hot; beyond it the weakest episodic memories are archived
    # even above `archive_below`, redundant ones first. Insights, procedures and negative memories are
    # never archived.
    hot_budget: int = Field(default=200_000, ge=100)
    # Budgets of their own, comma-separated `pattern=budget`: a namespace ("acme/bot/alice=50000"), or
    # every namespace of a tenant or an agent ("acme/*=500000", "acme/bot/*=100000"). The most specific
    # pattern wins; namespaces no pattern names get `hot_budget`.
    hot_budgets: str = ""

    @field_validator("hot_budgets")
    @classmethod
    def _budgets_parse(cls, value: str) -> str:
        cls.model_construct(hot_budgets=value).parsed_budgets()  # fail at start, with what to fix
        return value

    def budget_for(self, namespace: str) -> int:
        budgets = self.parsed_budgets()
        tenant, agent, _ = [*namespace.split("/"), "", "", ""][:3]
        for pattern in (namespace, f"{tenant}/{agent}/*", f"{tenant}/*"):
            if pattern in budgets:
                return budgets[pattern]
        return self.hot_budget

    def parsed_budgets(self) -> dict[str, int]:
        budgets: dict[str, int] = {}
        for item in (i.strip() for i in self.hot_budgets.split(",") if i.strip()):
            pattern, _, value = item.partition("=")
            if not value.strip().isdigit() or int(value) < 100 or not pattern.strip():
                raise ValueError(
                    f"SOMNIA_FORGETTING_HOT_BUDGETS: {item!r} is not 'namespace-or-pattern=budget' with a budget "
                    "of at least 100 (e.g. 'acme/*=500000,acme/bot/alice=50000')"
                )
            budgets[pattern.strip()] = int(value)
        return budgets

    # A digest quotes at most this many of the session's faded memories (it keeps all their ids).
    digest_quotes: int = Field(default=6, ge=1, le=50)
    # How often the service sweeps the namespaces that had sessions close since their last sweep.
    sweep_interval_s: float = Field(default=3600.0, gt=0.0)
    page_size: int = Field(default=500, ge=10, le=5000)
    bucket: str = FORGETTING_BUCKET
    durable: str = "forgetting"
    batch_wait_s: float = Field(default=0.5, gt=0.0)
    max_deliver: int = Field(default=10, ge=1)
    shutdown_grace_s: float = Field(default=10.0, gt=0.0)
    health_port: int = Field(default=50057, ge=0, le=65535)
