"""When a memory is invalidated, what was derived from it is too: an insight made only from invalidated
memories takes their status; one that still has sound sources is downgraded (less certain, not wrong).
Graph service calls this for supersessions it detects, forgetting for disproven and retracted reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from somnia_graph_store.models import Verdict, VerdictStatus
from somnia_graph_store.ports import UsesAndVerdicts


async def cascade_verdicts(
    graph: UsesAndVerdicts,
    namespace: str,
    invalidated: Mapping[str, VerdictStatus],
    *,
    reason: str,
    recorded_at: datetime,
    cause_id: str,
) -> list[Verdict]:
    """Verdicts for the insights citing any of `invalidated` (memory id -> what happened to it), written
    and returned. `cause_id` (the report or the newer memory) keys them, so a redelivery adds none."""
    if not invalidated:
        return []
    verdicts: list[Verdict] = []
    for group in await graph.insights_citing(namespace, list(invalidated)):
        hit = [s for s in group.sources if s in invalidated]
        if not hit or not group.insight_memory_id:
            continue
        sole = len(hit) == len(group.sources)
        status: VerdictStatus = invalidated[hit[0]] if sole and invalidated[hit[0]] != "downgraded" else "downgraded"
        verdicts.append(
            Verdict(
                namespace=namespace,
                memory_id=group.insight_memory_id,
                verdict_id=f"cascade:{cause_id}"[:128],
                status=status,
                evidence_id=hit[0] if status == "disproven" else "",
                reason=f"{len(hit)} of its {len(group.sources)} sources {reason}"[:1024],
                recorded_at=recorded_at,
            )
        )
    if verdicts:
        await graph.upsert_verdicts(verdicts)
    return verdicts
