"""How an insight reads: a headline, then dated quotes of the memories it was made from. Dreaming
writes insights this way; erasure rewrites one this way when a memory it quoted is forgotten."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_memory_store import MemoryRecord

QUOTE_CHARS = 220


def quote(record: MemoryRecord, chars: int = QUOTE_CHARS) -> str:
    text = " ".join(record.text.split())
    if len(text) > chars:
        text = text[: chars - 1].rstrip() + "…"
    return f"- [{record.occurred_at.date().isoformat()}] {text}"


def extractive_insight(headline: str, sources: Sequence[MemoryRecord], chars: int = QUOTE_CHARS) -> str:
    return "\n".join([headline, *(quote(r, chars) for r in sources)])


def headline_of(insight_text: str) -> str:
    """An insight's first line: what it found, which holds without any one of its quotes."""
    return insight_text.split("\n", 1)[0]
