"""What an extractor finds in a text."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

EntityKind = Literal["name", "topic", "time"]

_NON_WORD = re.compile(r"[^\w\s'-]+")
_SPACE = re.compile(r"\s+")


def entity_key(name: str) -> str:
    """One key per entity however it is written: lower case, punctuation dropped, spaces collapsed."""
    return _SPACE.sub(" ", _NON_WORD.sub(" ", name.lower())).strip(" '-")


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    kind: EntityKind


class Extraction(BaseModel):
    model_config = ConfigDict(frozen=True)

    entities: tuple[Entity, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(e.key for e in self.entities)


def time_entity(resolved: datetime) -> Entity:
    """A time expression resolved to a day, as an entity so memories of the same day meet in the graph."""
    day = resolved.date().isoformat()
    return Entity(key=f"date:{day}", name=day, kind="time")
