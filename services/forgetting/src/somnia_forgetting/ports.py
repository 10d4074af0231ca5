"""The graph roles forgetting uses: strength reads (feedback, pattern success, uses), negative memories
and verdicts, and the digest communities a sweep extends."""

from __future__ import annotations

from typing import Protocol

from somnia_graph_store import DreamStore, GraphLifecycle, LinkWriter, RecallReader, UsesAndVerdicts


class StrengthGraph(GraphLifecycle, RecallReader, UsesAndVerdicts, Protocol):
    """What a memory's strength is computed from."""


class NegativeGraph(LinkWriter, UsesAndVerdicts, Protocol):
    """Where negative memories and their verdicts are written."""


class SweepGraph(StrengthGraph, DreamStore, LinkWriter, Protocol):
    """A sweep scores memories, writes digests (memory nodes) and keeps them as communities."""
