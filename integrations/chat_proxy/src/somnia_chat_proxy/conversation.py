"""What a chat request means for memory: which conversation it belongs to, which of its messages are new,
what to capture of them and of the reply, and where the memory goes in the messages."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from somnia_client import ToolCall, Turn

ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system", "tool": "tool"}
MARK = "Memory (from Somnia: what you remember of this user; statuses say what no longer holds)"


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def session_id_for(namespace: str, messages: list[dict[str, Any]]) -> str:
    """Chat clients resend the whole history each call, so a conversation is known by how it began."""
    first = next((text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
    digest = hashlib.sha256(json.dumps([namespace, first], ensure_ascii=False).encode()).hexdigest()
    return f"chat-{digest[:32]}"


def new_messages(messages: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The messages after the last assistant message: what the caller added since the last reply."""
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    return [(i, m) for i, m in enumerate(messages) if i > last and m.get("role") in ROLES]


def turn_of(index: int, message: dict[str, Any]) -> Turn | None:
    """The turn to capture for message `index` (its id comes from its place, so a resend is stored once)."""
    role = ROLES.get(str(message.get("role")), "")
    text = text_of(message.get("content")).strip()
    if role == "system":
        return None  # instructions, not something the user said
    if role == "tool":
        return Turn(text, "tool", turn_id=f"m{index}", tool_call=ToolCall(str(message.get("name") or "tool"), "", text))
    if not text:
        return None
    return Turn(text, role, turn_id=f"m{index}", speaker=str(message.get("name") or ""))  # type: ignore[arg-type]


def reply_turn(index: int, content: str, tool_calls: list[dict[str, Any]]) -> Turn | None:
    if tool_calls:
        call = tool_calls[0].get("function") or {}
        arguments = str(call.get("arguments") or "")
        try:
            json.loads(arguments or "{}")
        except ValueError:
            arguments = json.dumps(arguments)
        return Turn(
            content, "assistant", turn_id=f"m{index}", tool_call=ToolCall(str(call.get("name") or "tool"), arguments)
        )
    return Turn(content, "assistant", turn_id=f"m{index}") if content.strip() else None


def inject(messages: list[dict[str, Any]], memory: str) -> list[dict[str, Any]]:
    """The messages with a system message holding `memory`, after the caller's own leading system messages."""
    if not memory.strip():
        return messages
    at = 0
    while at < len(messages) and messages[at].get("role") in ("system", "developer"):
        at += 1
    note = {"role": "system", "content": f"{MARK}:\n{memory.strip()}"}
    return [*messages[:at], note, *messages[at:]]
