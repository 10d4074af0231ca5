"""How negative memories read. Forgetting writes them in these words and Recall recognises an absence
record by its prefix, so the formats live once, here."""

from __future__ import annotations

# "Checked on <day>: <what was looked for> — not there." Recall's absence warning looks for this start.
ABSENCE_PREFIX = "Checked on "
EXCERPT_CHARS = 200


def excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    """`text` on one line, cut to `chars` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[: chars - 1].rstrip() + "…"


def failed_attempt(task: str, day: str, note: str) -> str:
    because = f"failed because {excerpt(note)}" if note.strip() else "failed (no reason given)"
    return f"Tried {task} on {day}: {because}."


def checked_absent(day: str, note: str) -> str:
    return f"{ABSENCE_PREFIX}{day}: {excerpt(note)} — not there."


def misled_by(said: str, day: str, note: str) -> str:
    return f'Relied on "{excerpt(said, 120)}" on {day}: it misled — {excerpt(note)}.'


def failed_tool_call(tool: str, arguments_json: str, day: str, result: str) -> str:
    args = f"({excerpt(arguments_json, 80)})" if arguments_json else ""
    return f"Tried {tool}{args} on {day}: failed because {excerpt(result)}."
