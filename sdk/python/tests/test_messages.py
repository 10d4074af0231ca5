"""Requests the SDK builds from plain arguments: ids filled in so retries are stored once, options mapped
to the proto, bad arguments refused before anything is sent."""

from datetime import UTC, datetime

import pytest
from somnia.recall.v1 import recall_pb2
from somnia_client import ToolCall, Turn, messages


def test_turns_get_ids_so_a_retried_capture_is_stored_once() -> None:
    request = messages.capture_request("a/b/c", "s1", ["plain text", Turn("kept", "assistant", turn_id="t-7")])
    first, second = request.turns
    assert first.turn_id.startswith("t-") and len(first.turn_id) > 10
    assert second.turn_id == "t-7" and second.role == messages.ROLES["assistant"]
    again = messages.capture_request("a/b/c", "s1", [Turn("x", turn_id="fixed")])
    assert again.turns[0].turn_id == "fixed"


def test_a_tool_call_and_a_naive_time_travel_as_utc() -> None:
    turn = messages.turn_message(
        Turn("ran it", "tool", occurred_at=datetime(2026, 1, 2, 3, 4), tool_call=ToolCall("grep", '{"q": 1}', "3 hits"))
    )
    assert turn.occurred_at.ToDatetime(tzinfo=UTC) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert (turn.tool_call.name, turn.tool_call.result) == ("grep", "3 hits")


def test_every_recall_option_reaches_the_request() -> None:
    when = datetime(2026, 5, 1, tzinfo=UTC)
    request = messages.recall_request(
        "a/b/c",
        "where is the key",
        7,
        sessions=["s1"],
        roles=["user"],
        kinds=["episodic"],
        after=when,
        before=when,
        alpha=0.3,
        expand_graph=False,
        token_budget=400,
        as_of=when,
        include_archived=True,
        adapters=["v3-1f2e3d4c"],
    )
    assert list(request.adapters) == ["v3-1f2e3d4c"]
    assert (request.k, request.alpha, request.expand_graph, request.token_budget) == (7, pytest.approx(0.3), False, 400)
    assert list(request.filter.session_ids) == ["s1"] and list(request.filter.kinds) == ["episodic"]
    assert request.as_of.ToDatetime(tzinfo=UTC) == when and request.include_archived
    plain = messages.recall_request("a/b/c", "q", 5)
    assert not any(plain.HasField(f) for f in ("alpha", "expand_graph", "as_of", "filter"))


def test_feedback_gets_an_id_and_warm_budgets_name_layers() -> None:
    feedback = messages.feedback_request("a/b/c", "disproven", memory_id="m-1", evidence_memory_id="m-2")
    assert feedback.feedback_id.startswith("f-") and feedback.signal == recall_pb2.FEEDBACK_SIGNAL_DISPROVEN
    warm = messages.warm_request("a/b/c", "s1", budgets={"L1": 100, "L3": 50}, adapters=["v1-0a"])
    assert list(warm.adapters) == ["v1-0a"]
    assert [(b.layer, b.tokens) for b in warm.budgets] == [
        (recall_pb2.LAYER_L1_IMMEDIATE, 100),
        (recall_pb2.LAYER_L3_DOMAIN, 50),
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: messages.turn_message(Turn("x", "robot")), "role 'robot' is unknown"),  # type: ignore[arg-type]
        (lambda: messages.feedback_request("a/b/c", "great"), "signal 'great' is unknown"),
        (lambda: messages.warm_request("a/b/c", "s", budgets={"L9": 1}), "layer 'L9' is unknown"),
        (lambda: messages.forget_request("a/b/c"), "exactly one of"),
        (lambda: messages.forget_request("a/b/c", memory_id="m", session_id="s"), "exactly one of"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        build()


def test_erasing_a_namespace_confirms_it() -> None:
    request = messages.forget_request("a/b/c", entire_namespace=True, reason="offboarding")
    assert request.entire_namespace and request.confirm_namespace == "a/b/c"


def test_the_adapters_a_caller_runs_come_back_applied() -> None:
    response = recall_pb2.RecallResponse(adapters_applied=["v3-1f2e3d4c"])
    assert messages.recall_result(response).adapters_applied == ("v3-1f2e3d4c",)
    pack = recall_pb2.WarmCacheResponse(adapters_applied=["v3-1f2e3d4c"])
    assert messages.warm_context(pack).adapters_applied == ("v3-1f2e3d4c",)
    assert messages.forget_report(recall_pb2.ForgetResponse(adapters_stale=2)).adapters_stale == 2
