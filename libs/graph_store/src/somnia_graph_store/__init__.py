"""The memory graph behind one port: Session, Turn and Memory nodes with NEXT and PART_OF edges."""

from somnia_graph_store.factory import open_graph_store
from somnia_graph_store.models import MemoryNode, SessionNode, TurnNode
from somnia_graph_store.ports import GraphStore, GraphStoreError
from somnia_graph_store.settings import GraphStoreSettings

__all__ = [
    "GraphStore",
    "GraphStoreError",
    "GraphStoreSettings",
    "MemoryNode",
    "SessionNode",
    "TurnNode",
    "open_graph_store",
]
