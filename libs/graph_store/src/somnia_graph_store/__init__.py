"""The memory graph behind one port: Session, Turn, Memory, Entity, Tool, Agent, Feedback, Pattern and
Community nodes with NEXT, PART_OF, RAN, MENTIONS, USED_TOOL, SIMILAR_TO, FEEDBACK_ON, SUPPORTS and
MEMBER_OF edges."""

from somnia_graph_store.factory import open_graph_store
from somnia_graph_store.models import (
    CitingGroup,
    CommunityKind,
    CommunityNode,
    EntityTurns,
    FeedbackCounts,
    FeedbackNode,
    MemoryNode,
    Mention,
    PatternKind,
    PatternNode,
    SessionDigest,
    SessionNode,
    SessionPage,
    Similarity,
    ToolUse,
    TurnDigest,
    TurnNode,
    TurnRef,
)
from somnia_graph_store.ports import LABELS, GraphStore, GraphStoreError, Label
from somnia_graph_store.settings import GraphStoreSettings

__all__ = [
    "LABELS",
    "CitingGroup",
    "CommunityKind",
    "CommunityNode",
    "EntityTurns",
    "FeedbackCounts",
    "FeedbackNode",
    "GraphStore",
    "GraphStoreError",
    "GraphStoreSettings",
    "Label",
    "MemoryNode",
    "Mention",
    "PatternKind",
    "PatternNode",
    "SessionDigest",
    "SessionNode",
    "SessionPage",
    "Similarity",
    "ToolUse",
    "TurnDigest",
    "TurnNode",
    "TurnRef",
    "open_graph_store",
]
