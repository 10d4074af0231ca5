"""The reranker port every adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class RerankerError(RuntimeError):
    """A reranker could not be loaded or could not score; the message says why."""


class Reranker(Protocol):
    """Scores how well each passage answers a query, reading both together (a cross-encoder)."""

    @property
    def name(self) -> str:
        """Which model scores, for traces and logs."""
        ...

    @property
    def local(self) -> bool:
        """Whether scoring runs on this process's cores (a model in process) or elsewhere (an endpoint):
        recall holds a local model back while its cores are taken."""
        ...

    async def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """One score per passage, in the passages' order; higher is more relevant. The scale is the
        model's own (logits, probabilities): only the order within one call means anything."""
        ...

    async def aclose(self) -> None: ...
