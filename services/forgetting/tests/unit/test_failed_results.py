from __future__ import annotations

from datetime import UTC, datetime

import pytest
from somnia_contracts import ToolCallPayload, TurnCaptured
from somnia_forgetting.negative import failed_tool_result
from somnia_memory_model import excerpt

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def turn(result: str, name: str = "search") -> TurnCaptured:
    return TurnCaptured(
        namespace="a/b/c",
        session_id="s",
        turn_id="t",
        role="tool",
        content="",
        tool_call=ToolCallPayload(name=name, result=result),
        occurred_at=NOW,
        captured_at=NOW,
    )


@pytest.mark.parametrize(
    "result",
    [
        "Error: connection refused",
        "Traceback (most recent call last):\n  File ...",
        "HTTP status 503 Service Unavailable",
        '{"ok": false, "error": "quota"}',
        "permission denied for table invoices",
        "FAILED: 3 tests",
        "request timed out after 30s",
    ],
)
def test_failures_in_a_tools_words_are_recognised(result: str) -> None:
    assert failed_tool_result(turn(result))


@pytest.mark.parametrize("result", ["3 rows returned", "deployment configured", '{"ok": true}', ""])
def test_results_that_succeeded_are_not(result: str) -> None:
    assert not failed_tool_result(turn(result))


def test_a_turn_without_a_tool_call_is_not_a_failure() -> None:
    plain = turn("Error").model_copy(update={"tool_call": None})
    assert not failed_tool_result(plain)


def test_excerpts_are_flat_and_bounded() -> None:
    assert excerpt("a\n  b") == "a b"
    assert len(excerpt("x" * 500, 50)) == 50
