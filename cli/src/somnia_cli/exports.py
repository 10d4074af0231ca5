"""Read the conversation exports people already have: ChatGPT's and Claude's `conversations.json`.

Each conversation becomes a session (`chatgpt-<id>` / `claude-<id>`), each message a turn with its own id
and time, so importing the same export twice stores everything once. ChatGPT keeps edited and
regenerated branches in a tree: only the branch the conversation ended on is imported (the one the
user saw). Messages with no text (images, hidden system turns) are left out and counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from somnia_cli.transcripts import ParsedLine, TranscriptLine

UNSAFE = re.compile(r"[^A-Za-z0-9_:-]")
ROLE_OF = {"user": "user", "human": "user", "assistant": "assistant", "system": "system", "tool": "tool"}


def safe_id(prefix: str, raw: str) -> str:
    """An id Somnia accepts: the export's own id, with anything outside [A-Za-z0-9_:-] replaced."""
    return f"{prefix}-{UNSAFE.sub('_', raw)}"[:128]


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def load(path: Path) -> list[Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        data = data["conversations"]
    if not isinstance(data, list):
        raise ValueError(f"{path} is not an export: expected a JSON list of conversations (conversations.json)")
    return data


def chatgpt_text(message: dict[str, Any]) -> str:
    content = message.get("content") or {}
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(p for p in parts if isinstance(p, str)).strip()
    text = content.get("text")
    return text.strip() if isinstance(text, str) else ""


def chatgpt_branch(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages on the branch the conversation ended on, oldest first."""
    mapping: dict[str, Any] = conversation.get("mapping") or {}
    node_id = conversation.get("current_node")
    if node_id not in mapping:  # no marked end: follow the last child from the root
        roots = [k for k, v in mapping.items() if not v.get("parent")]
        node_id = roots[0] if roots else None
        while node_id and mapping[node_id].get("children"):
            node_id = mapping[node_id]["children"][-1]
    branch = []
    seen: set[str] = set()
    while node_id and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if node.get("message"):
            branch.append(node["message"])
        node_id = node.get("parent")
    return branch[::-1]


def read_chatgpt(path: Path, namespace: str, skipped: list[int] | None = None) -> Iterator[ParsedLine | str]:
    """Turns from ChatGPT's conversations.json; `skipped` (if given) gets the count of messages without text."""
    number = 0
    for index, conversation in enumerate(load(path)):
        if not isinstance(conversation, dict):
            yield f"conversation {index}: not an object"
            continue
        raw_id = str(conversation.get("conversation_id") or conversation.get("id") or index)
        session = safe_id("chatgpt", raw_id)
        fallback = parse_time(conversation.get("create_time")) or datetime.now(UTC)
        for message in chatgpt_branch(conversation):
            role = ROLE_OF.get(str((message.get("author") or {}).get("role")))
            text = chatgpt_text(message)
            if role is None or not text or (message.get("metadata") or {}).get("is_visually_hidden_from_conversation"):
                if skipped is not None:
                    skipped.append(1)
                continue
            number += 1
            yield line(
                number,
                namespace=namespace,
                session_id=session,
                role=role,
                content=text,
                timestamp=parse_time(message.get("create_time")) or fallback,
                turn_id=safe_id("m", str(message.get("id") or number)),
                speaker=str((message.get("author") or {}).get("name") or ""),
            )


def read_claude(path: Path, namespace: str, skipped: list[int] | None = None) -> Iterator[ParsedLine | str]:
    """Turns from Claude's conversations.json (`chat_messages` with `sender` human / assistant)."""
    number = 0
    for index, conversation in enumerate(load(path)):
        if not isinstance(conversation, dict):
            yield f"conversation {index}: not an object"
            continue
        session = safe_id("claude", str(conversation.get("uuid") or index))
        fallback = parse_time(conversation.get("created_at")) or datetime.now(UTC)
        for position, message in enumerate(conversation.get("chat_messages") or []):
            role = ROLE_OF.get(str(message.get("sender")))
            text = claude_text(message)
            if role is None or not text:
                if skipped is not None:
                    skipped.append(1)
                continue
            number += 1
            yield line(
                number,
                namespace=namespace,
                session_id=session,
                role=role,
                content=text,
                timestamp=parse_time(message.get("created_at")) or fallback,
                turn_id=safe_id("m", str(message.get("uuid") or position)),
                speaker="",
            )


def claude_text(message: dict[str, Any]) -> str:
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    blocks = message.get("content") or []
    return "\n".join(b["text"] for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)).strip()


def line(number: int, **fields: Any) -> ParsedLine | str:
    try:
        return ParsedLine(number=number, turn=TranscriptLine.model_validate(fields))
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return f"message {number}: {details}"
