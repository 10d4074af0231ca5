"""Read transcripts for import: JSONL, one turn per line.

Each line: {"namespace", "session_id", "role", "content", "timestamp", optional "turn_id", "speaker",
"tool_name", "tool_arguments", "tool_result"}; other fields are ignored and named once. `timestamp` is
ISO 8601 (a zone is required) or Unix seconds. `namespace` may be omitted when a default is given.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from somnia_contracts import ROLES, Namespace, Role, SessionId


class TranscriptLine(BaseModel):
    # Fields the format does not have are ignored (read_jsonl counts them, and the import names them once).
    model_config = ConfigDict(extra="ignore")

    namespace: Namespace
    session_id: SessionId
    role: Role
    content: str = ""
    timestamp: datetime
    turn_id: str = ""
    # Who said it, by name (a chat between two named people); kept on the turn.
    speaker: str = Field(default="", max_length=128)
    tool_name: str = ""
    tool_arguments: dict[str, Any] | list[Any] | str | None = None
    tool_result: str | dict[str, Any] | list[Any] | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a time; use ISO 8601 with a zone (2026-11-25T09:30:00Z) or Unix seconds"
                ) from None
        return value

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp has no time zone; add one, e.g. 2026-11-25T10:00:00Z")
        return value

    @property
    def arguments_json(self) -> str:
        if self.tool_arguments is None:
            return ""
        return self.tool_arguments if isinstance(self.tool_arguments, str) else json.dumps(self.tool_arguments)

    @property
    def result_text(self) -> str:
        if self.tool_result is None:
            return ""
        return self.tool_result if isinstance(self.tool_result, str) else json.dumps(self.tool_result)


class ParsedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    turn: TranscriptLine


FIELDS = frozenset(TranscriptLine.model_fields)


def read_jsonl(
    path: Path, *, default_namespace: str | None = None, ignored: Counter[str] | None = None
) -> Iterator[ParsedLine | str]:
    """Yield each line parsed, or a problem description for a line that is wrong. Fields the format does
    not have are counted in `ignored` (field -> lines), not refused."""
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield f"line {number}: not JSON ({exc.msg} at column {exc.colno})"
                continue
            if not isinstance(data, dict):
                yield f"line {number}: expected a JSON object, got {type(data).__name__}"
                continue
            if ignored is not None:
                ignored.update(key for key in data if key not in FIELDS)
            if default_namespace and "namespace" not in data:
                data["namespace"] = default_namespace
            try:
                yield ParsedLine(number=number, turn=TranscriptLine.model_validate(data))
            except ValidationError as exc:
                details = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'line'}: {err['msg']}" for err in exc.errors()
                )
                yield f"line {number}: {details}"


def parse_chat_text(text: str, default_role: str = "user") -> list[tuple[str, str]]:
    """Split 'role: content' lines into turns; lines without a known role continue the last turn."""
    turns: list[tuple[str, str]] = []
    for line in text.splitlines():
        head, sep, rest = line.partition(":")
        role = head.strip().lower()
        if sep and role in ROLES:
            turns.append((role, rest.strip()))
        elif turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]}\n{line}".strip())
        elif line.strip():
            turns.append((default_role, line.strip()))
    return [(role, content) for role, content in turns if content]
