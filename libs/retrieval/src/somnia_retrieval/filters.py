"""Filters for memories reached through the graph rather than through a search (which filters itself)."""

from __future__ import annotations

from somnia_memory_store import MemoryRecord, SearchFilter


def matches(record: MemoryRecord, filter: SearchFilter | None) -> bool:
    if filter is None:
        return True
    checks = (
        (filter.session_ids, record.session_id),
        (filter.roles, record.role),
        (filter.kinds, record.kind),
        (filter.statuses, record.status),
    )
    if any(allowed and value not in allowed for allowed, value in checks):
        return False
    if filter.occurred_after is not None and record.occurred_at < filter.occurred_after:
        return False
    if filter.occurred_before is not None and record.occurred_at > filter.occurred_before:
        return False
    return not (filter.recorded_before is not None and record.recorded_at > filter.recorded_before)
