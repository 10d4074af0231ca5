"""Split a turn into chunks the embedder can read whole, with overlap so no sentence is lost at a cut."""

from __future__ import annotations

from somnia_contracts import TurnCaptured


def memory_text(turn: TurnCaptured) -> str:
    """The text a turn is remembered by: its content, after the speaker's name when one was given (so the
    name is found by keyword and meaning, and shown), and for tool turns the call and its result."""
    content = turn.content.strip()
    if content and turn.speaker:
        content = f"{turn.speaker}: {content}"
    parts = [content] if content else []
    if turn.tool_call is not None:
        call = f"[tool {turn.tool_call.name}]"
        if turn.tool_call.arguments_json:
            call += f" {turn.tool_call.arguments_json}"
        if turn.tool_call.result:
            call += f" -> {turn.tool_call.result}"
        parts.append(call)
    return "\n".join(parts)


def chunk_words(text: str, *, max_words: int, overlap: int) -> list[str]:
    words = text.split()
    if len(words) <= max_words:
        return [text.strip()]
    step = max(1, max_words - overlap)
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + max_words]))
        if start + max_words >= len(words):
            break
    return chunks
