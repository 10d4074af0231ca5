"""Streams what a run reads, one page at a time, so a run's memory does not grow with the namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator

from somnia_graph_store import DreamStore, SessionDigest
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter, scan_all

from somnia_dreaming.models import DreamWindow

# Dreaming reads what was said and done; what earlier dreams wrote (insights, patterns) is not evidence.
EVIDENCE_KINDS = ("episodic",)


async def session_digests(graph: DreamStore, window: DreamWindow, page_size: int) -> AsyncIterator[SessionDigest]:
    after = ""
    while True:
        page = await graph.session_digests(
            window.namespace, since=window.since, until=window.until, after=after, limit=page_size
        )
        for digest in page.digests:
            yield digest
        if page.next_after is None:
            return
        after = page.next_after


def memories(store: MemoryStore, window: DreamWindow, page_size: int) -> AsyncIterator[MemoryRecord]:
    where = SearchFilter(kinds=EVIDENCE_KINDS, occurred_after=window.since, occurred_before=window.until)
    return scan_all(store, window.namespace, where, page_size=page_size)
