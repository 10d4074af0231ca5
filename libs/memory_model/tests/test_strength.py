"""Base-level activation: power-law decay, uses that add up, and the approximation of old uses."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from somnia_memory_model.strength import ActivationLaw

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_strength_fades_as_a_power_of_age_and_uses_restore_it() -> None:
    law = ActivationLaw()
    ages = [1, 30, 365]
    strengths = [law.strength(law.base_level(NOW, NOW - timedelta(days=d))) for d in ages]
    assert strengths == pytest.approx([0.82, 0.45, 0.19], abs=0.01)
    # Power law: from 30 to 365 days the trace loses less than from 1 to 30.
    base = [law.base_level(NOW, NOW - timedelta(days=d)) for d in ages]
    assert base[1] - base[2] < base[0] - base[1]
    recent = [NOW - timedelta(days=d) for d in range(1, 6)]
    assert law.strength(law.base_level(NOW, NOW - timedelta(days=365), 5, recent)) == pytest.approx(0.94, abs=0.01)


def test_old_uses_are_approximated_within_a_few_percent() -> None:
    law = ActivationLaw()
    created = NOW - timedelta(days=100)
    uses = [created + timedelta(days=2.5 * i) for i in range(40)]
    exact = math.log(sum(max((NOW - t).total_seconds() / 86400, 1 / 24) ** -0.5 for t in [created, *uses]))
    assert law.base_level(NOW, created, 40, uses[-8:]) == pytest.approx(exact, rel=0.02)


def test_importance_and_success_raise_strength() -> None:
    law = ActivationLaw()
    base = law.base_level(NOW, NOW - timedelta(days=30))
    assert law.strength(base, importance=-1.0) < law.strength(base) < law.strength(base, importance=0.5)
    assert law.strength(base, success=0.8) > law.strength(base)
