"""The promotion rule: which memories earn a place in an adapter's weights, with every number behind
each decision, so `somnia dream --explain` can print why (DESIGN.md, the dream ladder).

A memory is promoted when it is stable (unchanged for a window), broad (many sessions, enough agents),
successful (procedures: the lower credible bound of success) and worth it (the prompt tokens it would
save over the horizon beat what it adds to a training run). The batch trains only when the savings of
all its memories beat the run's fixed cost and the adapter's serving cost over the horizon."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from somnia_parametric.settings import PromotionSettings

# A status other than this one means the memory's truth changed: it cannot go into weights.
ASSERTED = "asserted"


class CandidateStats(BaseModel):
    """What is known about one memory that could be promoted."""

    model_config = ConfigDict(frozen=True)

    memory_id: str
    kind: str = Field(description="semantic (insight), procedural (procedure) or episodic (a stated fact)")
    text: str
    topic: str = ""
    status: str = ASSERTED
    tokens: int = Field(ge=0, description="what it occupies in a rendered warm pack")
    sessions: int = Field(ge=0, description="sessions it came from (dreamt) or was recalled in (facts)")
    agents: int = Field(ge=0)
    uses: int = Field(default=0, ge=0, description="times Recall returned it")
    # The share of sessions that reach for it (recalls or packs holding it), in [0, 1].
    reach: float = Field(default=0.0, ge=0.0, le=1.0)
    success_lower: float | None = Field(default=None, description="procedures only")
    changed_at: AwareDatetime = Field(description="last time it (or what it rests on) was written or changed")
    # Why it is not stable although its status is asserted: "depends on a memory that changed", ...
    unsettled: str = ""


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    value: str
    threshold: str


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    candidate: CandidateStats
    checks: tuple[Check, ...]
    value: float = Field(description="prompt-token savings over the horizon")
    marginal_cost: float

    @property
    def promoted(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if not c.passed)


class BatchDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    decisions: tuple[Decision, ...]
    promoted: tuple[str, ...] = Field(description="memory ids going into the adapter, most valuable first")
    savings: float
    cost: float
    train: bool
    reason: str


def decide(stats: CandidateStats, settings: PromotionSettings, *, sessions_per_day: float, now: datetime) -> Decision:
    """One memory against the rule; `sessions_per_day` is the namespace's measured rate (a setting wins)."""
    rate = settings.expected_sessions_per_day or sessions_per_day
    age_days = max(0.0, (now - stats.changed_at).total_seconds() / 86400)
    value = stats.tokens * stats.reach * rate * settings.horizon_days * settings.price_per_million_tokens / 1e6
    marginal = settings.training_cost_per_memory
    stable_value = f"{stats.status}, unchanged {age_days:.1f} d" + (f", {stats.unsettled}" if stats.unsettled else "")
    checks = [
        Check(
            name="stable",
            passed=stats.status == ASSERTED and not stats.unsettled and age_days >= settings.stable_days,
            value=stable_value,
            threshold=f"asserted, >= {settings.stable_days:g} d",
        ),
        Check(
            name="broad",
            passed=stats.sessions >= settings.min_sessions and stats.agents >= settings.min_agents,
            value=f"{stats.sessions} sessions x {stats.agents} agents",
            threshold=f">= {settings.min_sessions} x {settings.min_agents}",
        ),
    ]
    if stats.kind == "procedural":
        lower = stats.success_lower if stats.success_lower is not None else 0.0
        checks.append(
            Check(
                name="successful",
                passed=lower >= settings.min_success_lower,
                value="no outcomes" if stats.success_lower is None else f"{lower:.2f}",
                threshold=f">= {settings.min_success_lower:.2f}",
            )
        )
    checks.append(
        Check(
            name="worth it",
            passed=value > marginal,
            value=f"{stats.tokens} tok x {stats.reach:.2f} reach x {rate * settings.horizon_days:.0f} sessions"
            f" = {value:.4f}",
            threshold=f"> {marginal:.4f}",
        )
    )
    return Decision(candidate=stats, checks=tuple(checks), value=value, marginal_cost=marginal)


def decide_batch(
    candidates: list[CandidateStats], settings: PromotionSettings, *, sessions_per_day: float, now: datetime
) -> BatchDecision:
    """Every candidate's decision, and whether the promoted ones are worth one training run together."""
    decisions = sorted(
        (decide(c, settings, sessions_per_day=sessions_per_day, now=now) for c in candidates),
        key=lambda d: (not d.promoted, -d.value, d.candidate.memory_id),
    )
    chosen = [d for d in decisions if d.promoted][: settings.max_memories]
    savings = sum(d.value for d in chosen)
    cost = (
        settings.training_cost_per_run
        + settings.training_cost_per_memory * len(chosen)
        + settings.serving_cost_per_day * settings.horizon_days
    )
    if len(chosen) < settings.min_memories:
        train, reason = False, f"{len(chosen)} memories pass the rule; an adapter needs {settings.min_memories}"
    elif savings <= cost:
        train, reason = False, f"savings {savings:.4f} do not beat the run and its serving, {cost:.4f}"
    else:
        train, reason = True, f"{len(chosen)} memories save {savings:.4f} against a cost of {cost:.4f}"
    return BatchDecision(
        decisions=tuple(decisions),
        promoted=tuple(d.candidate.memory_id for d in chosen) if train else (),
        savings=savings,
        cost=cost,
        train=train,
        reason=reason,
    )
