"""The embedder port every adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EmbedderError(RuntimeError):
    """An embedder could not be loaded or could not embed; the message says why."""


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str:
        """A stable id for the model; stored with every vector."""
        ...

    @property
    def dimension(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts, returning a (len(texts), dimension) array of L2-normalised rows."""
        ...

    async def aclose(self) -> None: ...
