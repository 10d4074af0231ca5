from __future__ import annotations

import pytest
from pydantic import ValidationError
from somnia_forgetting.settings import ForgettingSettings


def test_the_most_specific_budget_wins() -> None:
    settings = ForgettingSettings(hot_budget=1000, hot_budgets="acme/*=5000, acme/bot/*=3000, acme/bot/alice=200")
    assert settings.budget_for("acme/bot/alice") == 200
    assert settings.budget_for("acme/bot/bob") == 3000
    assert settings.budget_for("acme/other/bob") == 5000
    assert settings.budget_for("globex/bot/alice") == 1000


@pytest.mark.parametrize("bad", ["acme/*", "acme/*=ten", "acme/*=50", "=5000"])
def test_a_malformed_budget_is_refused_at_start_with_what_to_fix(bad: str) -> None:
    with pytest.raises(ValidationError, match="namespace-or-pattern=budget"):
        ForgettingSettings(hot_budgets=bad)
