"""The extractor port: entities (names, topics, days) in a text said at a given time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from somnia_extraction.models import Extraction


class Extractor(Protocol):
    @property
    def name(self) -> str: ...

    async def extract(self, texts: Sequence[str], said_at: Sequence[datetime | None]) -> list[Extraction]:
        """One extraction per text; `said_at` anchors relative times ("yesterday") when known."""
        ...

    async def aclose(self) -> None: ...
