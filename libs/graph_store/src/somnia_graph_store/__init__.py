"""The memory graph behind one port: Session, Turn, Memory, Entity, Tool, Agent, Feedback, Pattern and
Community nodes with NEXT, PART_OF, RAN, MENTIONS, USED_TOOL, SIMILAR_TO, FEEDBACK_ON, SUPPORTS and
MEMBER_OF edges."""

from somnia_graph_store.cascade import cascade_verdicts
from somnia_graph_store.factory import open_graph_store
from somnia_graph_store.models import (
    CitingGroup,
    CommunityKind,
    CommunityNode,
    EntityTurns,
    FeedbackCounts,
    FeedbackNode,
    MemoryNode,
    MemoryUse,
    Mention,
    PatternKind,
    PatternNode,
    SessionDigest,
    SessionNode,
    SessionPage,
    Similarity,
    Supersession,
    ToolUse,
    TurnDigest,
    TurnNode,
    TurnRef,
    UseHistory,
    Verdict,
    VerdictStatus,
)
from somnia_graph_store.ports import LABELS, RECENT_USES, GraphStore, GraphStoreError, Label
from somnia_graph_store.settings import GraphStoreSettings

__all__ = [
    "LABELS",
    "RECENT_USES",
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
    "MemoryUse",
    "Mention",
    "PatternKind",
    "PatternNode",
    "SessionDigest",
    "SessionNode",
    "SessionPage",
    "Similarity",
    "Supersession",
    "ToolUse",
    "TurnDigest",
    "TurnNode",
    "TurnRef",
    "UseHistory",
    "Verdict",
    "VerdictStatus",
    "cascade_verdicts",
    "open_graph_store",
]
