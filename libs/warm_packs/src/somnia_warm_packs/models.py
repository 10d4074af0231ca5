"""A warm pack as it is stored and served: four layers of rendered memories, each under its token budget."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

LayerName = Literal["L1", "L2", "L3", "L4"]


class PackItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    memory_id: str
    text: str
    kind: str
    status: str
    session_id: str
    turn_id: str
    role: str
    chunk_index: int
    embedder: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    score: float
    tokens: int
    why: str
    # For an insight or procedure that dreaming consolidated: the memories it was made from.
    derived_from: tuple[str, ...] = ()


class PackLayer(BaseModel):
    model_config = ConfigDict(frozen=True)

    layer: LayerName
    budget: int
    # Tokens the layers claimed before this one left unused and this one could use: tokens never
    # exceed budget + carried, and the pack's total never exceeds the sum of the budgets.
    carried: int = 0
    tokens: int
    items: tuple[PackItem, ...]
    rendered: str


class WarmPack(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    session_id: str
    agent: str
    layers: tuple[PackLayer, ...] = Field(description="L4, L3, L2, L1")
    rendered: str
    tokens: int
    tokenizer: str
    built_at: AwareDatetime
    build_ms: float

    def layer_ids(self, layer: LayerName) -> tuple[str, ...]:
        """A layer's memories in their order (in L4, pitfalls render last under their own header)."""
        return tuple(item.memory_id for one in self.layers if one.layer == layer for item in one.items)

    @property
    def memory_ids(self) -> set[str]:
        return {item.memory_id for layer in self.layers for item in layer.items}
