"""ChatGPT and Claude exports read as turns: one session per conversation, the branch ChatGPT ended on,
ids and times from the export (so a second import stores nothing twice), messages without text left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from somnia_cli.exports import read_chatgpt, read_claude
from somnia_cli.transcripts import ParsedLine
from typer.testing import CliRunner


def node(message_id: str, role: str, text: str | None, parent: str | None, children: list[str], t: float) -> Any:
    message = None
    if role:
        message = {
            "id": message_id,
            "author": {"role": role, "name": None},
            "create_time": t,
            "content": {"content_type": "text", "parts": [text] if text is not None else []},
            "metadata": {},
        }
    return {"id": message_id, "message": message, "parent": parent, "children": children}


def chatgpt_export(tmp_path: Path) -> Path:
    # root -> u1 -> a1 (abandoned: regenerated) | a2 -> u2 ; the conversation ended on u2.
    mapping = {
        "root": node("root", "", None, None, ["u1"], 0),
        "u1": node("u1", "user", "Plan a trip to Porto for my mother's birthday.", "root", ["a1", "a2"], 1_700_000_000),
        "a1": node("a1", "assistant", "An abandoned answer.", "u1", [], 1_700_000_010),
        "a2": node(
            "a2", "assistant", "Porto in May: the Douro valley is lovely then.", "u1", ["img", "u2"], 1_700_000_020
        ),
        "img": node("img", "user", None, "a2", [], 1_700_000_025),
        "u2": node("u2", "user", "She hates long drives, keep it in the city.", "img", [], 1_700_000_030),
    }
    conversation = {
        "title": "Porto",
        "create_time": 1_700_000_000,
        "mapping": mapping,
        "current_node": "u2",
        "id": "c/1",
    }
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([conversation]))
    return path


def test_chatgpt_reads_the_branch_the_conversation_ended_on(tmp_path: Path) -> None:
    skipped: list[int] = []
    items = list(read_chatgpt(chatgpt_export(tmp_path), "me/chat/me", skipped))
    lines = [i for i in items if isinstance(i, ParsedLine)]
    assert [line.turn.content for line in lines] == [
        "Plan a trip to Porto for my mother's birthday.",
        "Porto in May: the Douro valley is lovely then.",
        "She hates long drives, keep it in the city.",
    ]
    assert [line.turn.role for line in lines] == ["user", "assistant", "user"]
    assert {line.turn.session_id for line in lines} == {"chatgpt-c_1"}  # '/' is not allowed in an id
    assert [line.turn.turn_id for line in lines] == ["m-u1", "m-a2", "m-u2"]
    assert lines[0].turn.timestamp == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert len(skipped) == 1  # the message without text


def test_claude_reads_every_message_with_its_time(tmp_path: Path) -> None:
    export = [
        {
            "uuid": "0b1c",
            "name": "Garden",
            "created_at": "2026-03-01T10:00:00Z",
            "chat_messages": [
                {
                    "uuid": "m1",
                    "sender": "human",
                    "text": "My tomatoes keep splitting.",
                    "created_at": "2026-03-01T10:00:00Z",
                },
                {
                    "uuid": "m2",
                    "sender": "assistant",
                    "text": "",
                    "content": [{"type": "text", "text": "Water them evenly; splitting follows dry spells."}],
                    "created_at": "2026-03-01T10:00:05.123456+00:00",
                },
                {"uuid": "m3", "sender": "human", "text": "", "content": [], "created_at": "2026-03-01T10:01:00Z"},
            ],
        }
    ]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(export))
    skipped: list[int] = []
    lines = [i for i in read_claude(path, "me/chat/me", skipped) if isinstance(i, ParsedLine)]
    assert [(line.turn.role, line.turn.turn_id) for line in lines] == [("user", "m-m1"), ("assistant", "m-m2")]
    assert lines[1].turn.content.startswith("Water them evenly")
    assert lines[1].turn.session_id == "claude-0b1c" and len(skipped) == 1


def test_a_file_that_is_not_an_export_is_refused_with_a_message(tmp_path: Path) -> None:
    from somnia_cli.app import app

    path = tmp_path / "conversations.json"
    path.write_text('{"hello": "world"}')
    result = CliRunner().invoke(app, ["import", "--format", "claude", str(path)], env={"SOMNIA_CAPTURE_PORT": "1"})
    assert result.exit_code == 1
    assert "cannot be read as claude" in result.output and "list of conversations" in result.output
