import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from somnia_cli.transcripts import ParsedLine, parse_chat_text, read_jsonl
from typer.testing import CliRunner


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_jsonl_lines_parse_with_iso_or_unix_times_and_tool_calls(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "namespace": "a/b/c",
            "session_id": "s1",
            "role": "user",
            "content": "hi",
            "timestamp": "2026-11-25T09:00:00Z",
        },
        "",
        {
            "session_id": "s1",
            "role": "tool",
            "timestamp": 1764061200,
            "tool_name": "search",
            "tool_arguments": {"q": "x"},
            "tool_result": ["a", "b"],
        },
    )
    first, second = read_jsonl(path, default_namespace="d/e/f")
    assert isinstance(first, ParsedLine) and isinstance(second, ParsedLine)
    assert first.turn.timestamp == datetime(2026, 11, 25, 9, tzinfo=UTC) and first.number == 1
    assert second.number == 3 and second.turn.namespace == "d/e/f"
    assert second.turn.arguments_json == '{"q": "x"}' and second.turn.result_text == '["a", "b"]'


def test_bad_lines_are_reported_with_their_number_and_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "{not json",
        [1, 2],
        {
            "namespace": "Bad",
            "session_id": "s",
            "role": "user",
            "content": "x",
            "timestamp": "2026-01-01T00:00:00Z",
        },
        {
            "namespace": "a/b/c",
            "session_id": "s",
            "role": "robot",
            "content": "x",
            "timestamp": "2026-01-01T00:00:00Z",
        },
        {
            "namespace": "a/b/c",
            "session_id": "s",
            "role": "user",
            "content": "x",
            "timestamp": "2026-01-01T00:00:00",
        },
        {"namespace": "a/b/c", "session_id": "s", "role": "user", "content": "x", "timestamp": "soon"},
    )
    problems = [p for p in read_jsonl(path) if isinstance(p, str)]
    assert problems[0].startswith("line 1: not JSON")
    assert "line 2: expected a JSON object" in problems[1]
    assert "line 3: namespace" in problems[2] and "tenant/agent/user" in problems[2]
    assert "line 4: role" in problems[3]
    assert "line 5: timestamp" in problems[4] and "time zone" in problems[4]
    assert "line 6: timestamp" in problems[5]


def test_unknown_fields_are_counted_not_refused_and_the_speaker_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    base = {"namespace": "a/b/c", "session_id": "s", "role": "user", "timestamp": 0}
    path.write_text(
        "\n".join(
            json.dumps(line)
            for line in (
                {**base, "content": "I moved to Lisbon", "speaker": "Caroline", "mood": "happy"},
                {**base, "content": "Congrats!", "speaker": "Melanie", "mood": "glad", "platform": "sms"},
            )
        )
    )
    ignored: Counter[str] = Counter()
    lines = [p for p in read_jsonl(path, ignored=ignored) if not isinstance(p, str)]
    assert [line.turn.speaker for line in lines] == ["Caroline", "Melanie"]  # type: ignore[union-attr]
    assert ignored == Counter({"mood": 2, "platform": 1})


def test_chat_text_splits_on_roles_and_keeps_continuations() -> None:
    text = "User: I need help\nwith my order\nassistant: Sure, which one?\n\nuser: #4411"
    assert parse_chat_text(text) == [
        ("user", "I need help\nwith my order"),
        ("assistant", "Sure, which one?"),
        ("user", "#4411"),
    ]
    assert parse_chat_text("just a note") == [("user", "just a note")]


def test_import_refuses_a_file_with_bad_lines_before_sending_anything(tmp_path: Path) -> None:
    from somnia_cli.app import app

    path = write(tmp_path, {"session_id": "s", "role": "user", "content": "x", "timestamp": "yesterday"})
    result = CliRunner().invoke(app, ["import", str(path)], env={"SOMNIA_CAPTURE_PORT": "1"})
    assert result.exit_code == 1
    assert "line 1: timestamp" in result.output and "Nothing was imported" in result.output


def test_capture_and_recall_say_when_somnia_is_not_running(tmp_path: Path) -> None:
    from somnia_cli.app import app

    env = {"SOMNIA_CAPTURE_PORT": "1", "SOMNIA_RECALL_PORT": "1"}
    result = CliRunner().invoke(app, ["recall", "anything"], env=env)
    assert result.exit_code == 1 and "Is `somnia up` running?" in result.output
    result = CliRunner().invoke(app, ["capture", "text"], env=env)
    assert result.exit_code == 1 and "Is `somnia up` running?" in result.output
