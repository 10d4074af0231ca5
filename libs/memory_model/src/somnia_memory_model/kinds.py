"""The kinds of memory the store holds, and which of them were made offline rather than said."""

from __future__ import annotations

from typing import Literal

MemoryKind = Literal["episodic", "semantic", "procedural", "negative"]
EPISODIC: MemoryKind = "episodic"
NEGATIVE: MemoryKind = "negative"
# The kinds dreaming writes (insights and procedures); their provenance is on the graph.
DREAMT_KINDS: tuple[MemoryKind, ...] = ("semantic", "procedural")
