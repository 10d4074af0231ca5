from datetime import UTC, datetime, timedelta

from somnia_parametric import CandidateStats, PromotionSettings, decide, decide_batch

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def candidate(memory_id: str = "m1", **changes: object) -> CandidateStats:
    fields: dict[str, object] = {
        "memory_id": memory_id,
        "kind": "semantic",
        "text": "The user deploys with blue-green releases on Fridays.",
        "tokens": 200,
        "sessions": 12,
        "agents": 2,
        "uses": 30,
        "reach": 0.8,
        "changed_at": NOW - timedelta(days=30),
    }
    fields.update(changes)
    return CandidateStats.model_validate(fields)


SETTINGS = PromotionSettings(price_per_million_tokens=3.0, horizon_days=90, training_cost_per_memory=0.002)


def test_a_stable_broad_used_memory_is_promoted_with_its_numbers() -> None:
    decision = decide(candidate(), SETTINGS, sessions_per_day=10, now=NOW)
    assert decision.promoted
    assert [c.name for c in decision.checks] == ["stable", "broad", "worth it"]
    # 200 tokens x 0.8 reach x 900 sessions x 3 per million tokens
    assert abs(decision.value - 200 * 0.8 * 900 * 3 / 1e6) < 1e-9
    assert "900 sessions" in decision.checks[-1].value


def test_each_gate_fails_on_its_own() -> None:
    cases = {
        "stable": candidate(changed_at=NOW - timedelta(days=2)),
        "broad": candidate(sessions=2),
    }
    for gate, stats in cases.items():
        assert decide(stats, SETTINGS, sessions_per_day=10, now=NOW).failed == (gate,)
    assert decide(candidate(status="superseded"), SETTINGS, sessions_per_day=10, now=NOW).failed == ("stable",)
    unsettled = candidate(unsettled="depends on a memory that changed")
    assert decide(unsettled, SETTINGS, sessions_per_day=10, now=NOW).failed == ("stable",)
    assert decide(candidate(reach=0.0), SETTINGS, sessions_per_day=10, now=NOW).failed == ("worth it",)


def test_procedures_must_have_succeeded() -> None:
    weak = candidate(kind="procedural", success_lower=0.4)
    assert decide(weak, SETTINGS, sessions_per_day=10, now=NOW).failed == ("successful",)
    untried = decide(candidate(kind="procedural"), SETTINGS, sessions_per_day=10, now=NOW)
    assert untried.failed == ("successful",) and untried.checks[2].value == "no outcomes"
    assert decide(candidate(kind="procedural", success_lower=0.7), SETTINGS, sessions_per_day=10, now=NOW).promoted


def test_the_batch_trains_only_when_its_savings_beat_the_run_and_serving() -> None:
    many = [candidate(f"m{i}") for i in range(5)]
    batch = decide_batch(many, SETTINGS, sessions_per_day=10, now=NOW)
    # each saves 0.432 over 90 days: 2.16 against 1 + 5 x 0.002 + 0.05 x 90 = 5.51
    assert not batch.train and batch.promoted == () and "do not beat" in batch.reason
    busy = decide_batch(many, SETTINGS, sessions_per_day=100, now=NOW)
    assert busy.train and len(busy.promoted) == 5 and busy.savings > busy.cost


def test_too_few_promoted_memories_train_nothing_and_the_best_come_first() -> None:
    few = [candidate("a", tokens=100), candidate("b", tokens=300), candidate("c", sessions=1)]
    batch = decide_batch(few, SETTINGS, sessions_per_day=1000, now=NOW)
    assert not batch.train and "needs 3" in batch.reason
    assert [d.candidate.memory_id for d in batch.decisions] == ["b", "a", "c"]


def test_an_expected_rate_setting_wins_over_the_measured_one() -> None:
    fixed = PromotionSettings(expected_sessions_per_day=1.0)
    assert (
        decide(candidate(), fixed, sessions_per_day=1000, now=NOW).value
        == decide(candidate(), fixed, sessions_per_day=1, now=NOW).value
    )
