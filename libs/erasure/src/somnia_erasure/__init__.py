"""Erasure, with one owner: forgetting a memory, a session, a subject or a namespace removes every copy
(memory store hot and cold, graph, warm packs, streams, the insights quoting it) and leaves an audit
event and a tombstone. Recall's Forget RPC calls it."""

from somnia_erasure.eraser import Eraser, ErasureReport, InvalidErasure, NothingToForget
from somnia_erasure.ports import ErasureGraph

__all__ = ["Eraser", "ErasureGraph", "ErasureReport", "InvalidErasure", "NothingToForget"]
