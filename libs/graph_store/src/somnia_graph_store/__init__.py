"""The memory graph behind one port: Session, Turn, Memory, Entity, Tool, Agent and Feedback nodes with
NEXT, PART_OF, RAN, MENTIONS, USED_TOOL, SIMILAR_TO and FEEDBACK_ON edges."""

from somnia_graph_store.factory import open_graph_store
from somnia_graph_store.models import (
    EntityTurns,
    FeedbackCounts,
    FeedbackNode,
    MemoryNode,
    Mention,
    SessionNode,
    Similarity,
    ToolUse,
    TurnNode,
    TurnRef,
)
from somnia_graph_store.ports import LABELS, GraphStore, GraphStoreError, Label
from somnia_graph_store.settings import GraphStoreSettings

__all__ = [
    "LABELS",
    "EntityTurns",
    "FeedbackCounts",
    "FeedbackNode",
    "GraphStore",
    "GraphStoreError",
    "GraphStoreSettings",
    "Label",
    "MemoryNode",
    "Mention",
    "SessionNode",
    "Similarity",
    "ToolUse",
    "TurnNode",
    "TurnRef",
    "open_graph_store",
]
