"""The kinds of memory the store holds, and which of them were made offline rather than said."""

from __future__ import annotations

from somnia_contracts import MemoryKind

__all__ = ["DREAMT_KINDS", "EPISODIC", "NEGATIVE", "MemoryKind"]

EPISODIC: MemoryKind = "episodic"
NEGATIVE: MemoryKind = "negative"
# The kinds dreaming writes (insights and procedures); their provenance is on the graph.
DREAMT_KINDS: tuple[MemoryKind, ...] = ("semantic", "procedural")
