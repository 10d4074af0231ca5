"""Neo4j graph store: uses, supersessions and verdicts on memories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from somnia_graph_store.models import (
    CitingGroup,
    Dependency,
    MemoryUse,
    Supersession,
    UseHistory,
    Verdict,
)
from somnia_graph_store.neo4j.base import Neo4jGraphBase, _native
from somnia_graph_store.ports import RECENT_USES

RECORD_USES = f"""
UNWIND $rows AS row
MATCH (m:Memory {{uid: row.uid}})
WITH m, row WHERE NOT row.use_id IN coalesce(m.use_ids, [])
SET m.uses = coalesce(m.uses, 0) + 1,
    m.use_ids = (coalesce(m.use_ids, []) + row.use_id)[-{RECENT_USES}..],
    m.use_times = (coalesce(m.use_times, []) + row.used_at)[-{RECENT_USES}..]
"""


MERGE_SUPERSESSIONS = """
UNWIND $rows AS row
MERGE (n:Memory {uid: row.newer_uid}) ON CREATE SET n.namespace = row.ns, n.memory_id = row.newer
MERGE (o:Memory {uid: row.older_uid}) ON CREATE SET o.namespace = row.ns, o.memory_id = row.older
MERGE (n)-[r:SUPERSEDES]->(o) SET r.recorded_at = row.recorded_at, r.reason = row.reason
"""


# Verdicts live on the Memory node (a list of JSON bodies, one per verdict id): erasing the memory
# erases them, and a redelivered verdict is not added twice.
MERGE_VERDICTS = """
UNWIND $rows AS row
MERGE (m:Memory {uid: row.uid}) ON CREATE SET m.namespace = row.ns, m.memory_id = row.id
WITH m, row WHERE NOT row.vid IN coalesce(m.verdict_ids, [])
SET m.verdict_ids = coalesce(m.verdict_ids, []) + row.vid, m.verdicts = coalesce(m.verdicts, []) + row.body
"""


# A plan made current is also found from the news that made it so.
MERGE_MADE_CURRENT = """
UNWIND $rows AS row
MATCH (m:Memory {uid: row.uid})
MERGE (e:Memory {uid: row.evidence_uid}) ON CREATE SET e.namespace = row.ns, e.memory_id = row.evidence
MERGE (e)-[r:MADE_CURRENT]->(m) SET r.recorded_at = row.recorded_at
"""


MADE_CURRENT = """
UNWIND $ids AS id
MATCH (:Memory {uid: $ns + '|' + id})-[r:MADE_CURRENT]->(m:Memory)
WHERE $as_of IS NULL OR r.recorded_at <= $as_of
RETURN id, m.memory_id AS plan ORDER BY r.recorded_at, plan
"""


VERDICTS = """
UNWIND $ids AS id
MATCH (m:Memory {uid: $ns + '|' + id}) WHERE m.verdicts IS NOT NULL
RETURN id, m.verdicts AS verdicts
"""


SUPERSEDED = """
UNWIND $ids AS id
MATCH (n:Memory)-[r:SUPERSEDES]->(:Memory {uid: $ns + '|' + id})
WHERE $as_of IS NULL OR r.recorded_at <= $as_of
WITH id, n, r ORDER BY r.recorded_at DESC
WITH id, collect([n.memory_id, r.reason, r.recorded_at])[0] AS best
RETURN id, best[0] AS newer, best[1] AS reason, best[2] AS recorded_at
"""


# A dependency is a JSON body on its memory (one per kind, so a redelivery replaces it with itself) and,
# when its upstream memory is known, a typed edge to it.
MERGE_DEPENDENCIES = """
UNWIND $rows AS row
MERGE (m:Memory {uid: row.uid}) ON CREATE SET m.namespace = row.ns, m.memory_id = row.id
WITH m, row, coalesce(m.dependency_kinds, []) AS kinds, coalesce(m.dependencies, []) AS bodies
WITH m, row, kinds, bodies, [i IN range(0, size(kinds) - 1) WHERE kinds[i] <> row.kind] AS keep
SET m.dependency_kinds = [i IN keep | kinds[i]] + row.kind, m.dependencies = [i IN keep | bodies[i]] + row.body
"""

MERGE_DEPENDS_ON = """
UNWIND $rows AS row
MATCH (m:Memory {uid: row.uid})
MERGE (u:Memory {uid: row.upstream_uid}) ON CREATE SET u.namespace = row.ns, u.memory_id = row.upstream
MERGE (m)-[:DEPENDS_ON]->(u)
"""

MERGE_REPLACES_IF = MERGE_DEPENDS_ON.replace("DEPENDS_ON", "REPLACES_IF")


class Neo4jUsesAndVerdicts(Neo4jGraphBase):
    async def record_uses(self, uses: Sequence[MemoryUse]) -> None:
        rows = [{"uid": f"{u.namespace}|{u.memory_id}", "use_id": u.use_id, "used_at": u.used_at} for u in uses]
        await self._write((RECORD_USES, {"rows": rows}))

    async def memory_uses(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, UseHistory]:
        rows = await self._read(
            "UNWIND $ids AS id MATCH (m:Memory {uid: $ns + '|' + id}) WHERE coalesce(m.uses, 0) > 0 "
            "RETURN id, m.uses AS uses, m.use_times AS times",
            ns=namespace,
            ids=list(dict.fromkeys(memory_ids)),
        )
        return {
            str(r["id"]): UseHistory(count=int(r["uses"]), recent=tuple(sorted(_native(t) for t in r["times"])))
            for r in rows
        }

    async def upsert_supersessions(self, supersessions: Sequence[Supersession]) -> None:
        rows = [
            {
                "ns": s.namespace,
                "newer": s.newer_id,
                "older": s.older_id,
                "newer_uid": f"{s.namespace}|{s.newer_id}",
                "older_uid": f"{s.namespace}|{s.older_id}",
                "reason": s.reason,
                "recorded_at": s.recorded_at,
            }
            for s in supersessions
        ]
        await self._write((MERGE_SUPERSESSIONS, {"rows": rows}))

    async def superseded(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, Supersession]:
        rows = await self._read(SUPERSEDED, ns=namespace, ids=list(dict.fromkeys(memory_ids)), as_of=as_of)
        return {
            str(r["id"]): Supersession(
                namespace=namespace,
                newer_id=str(r["newer"]),
                older_id=str(r["id"]),
                reason=str(r["reason"] or ""),
                recorded_at=_native(r["recorded_at"]),
            )
            for r in rows
        }

    async def upsert_verdicts(self, verdicts: Sequence[Verdict]) -> None:
        rows = [
            {
                "ns": v.namespace,
                "id": v.memory_id,
                "uid": f"{v.namespace}|{v.memory_id}",
                "vid": v.verdict_id,
                "body": v.model_dump_json(),
            }
            for v in verdicts
        ]
        made_current = [
            {
                "ns": v.namespace,
                "uid": f"{v.namespace}|{v.memory_id}",
                "evidence": v.evidence_id,
                "evidence_uid": f"{v.namespace}|{v.evidence_id}",
                "recorded_at": v.recorded_at,
            }
            for v in verdicts
            if v.status == "current" and v.evidence_id
        ]
        await self._write((MERGE_VERDICTS, {"rows": rows}), (MERGE_MADE_CURRENT, {"rows": made_current}))

    async def made_current(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, list[str]]:
        rows = await self._read(MADE_CURRENT, ns=namespace, ids=list(dict.fromkeys(memory_ids)), as_of=as_of)
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(str(r["id"]), []).append(str(r["plan"]))
        return found

    async def verdicts(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, Verdict]:
        rows = await self._read(VERDICTS, ns=namespace, ids=list(dict.fromkeys(memory_ids)))
        newest: dict[str, Verdict] = {}
        for r in rows:
            for body in r["verdicts"] or []:
                verdict = Verdict.model_validate_json(body)
                if as_of is not None and verdict.recorded_at > as_of:
                    continue
                known = newest.get(str(r["id"]))
                if known is None or _order(verdict) > _order(known):
                    newest[str(r["id"])] = verdict
        return newest

    async def upsert_dependencies(self, dependencies: Sequence[Dependency]) -> None:
        rows = [
            {
                "ns": d.namespace,
                "id": d.memory_id,
                "uid": f"{d.namespace}|{d.memory_id}",
                "kind": d.kind,
                "body": d.model_dump_json(),
                "upstream": d.upstream_id,
                "upstream_uid": f"{d.namespace}|{d.upstream_id}",
            }
            for d in dependencies
        ]
        depends = [r for r in rows if r["upstream"] and r["kind"] == "depends_on"]
        replaces = [r for r in rows if r["upstream"] and r["kind"] == "replaces_if"]
        await self._write(
            (MERGE_DEPENDENCIES, {"rows": rows}),
            (MERGE_DEPENDS_ON, {"rows": depends}),
            (MERGE_REPLACES_IF, {"rows": replaces}),
        )

    async def dependencies(self, namespace: str) -> list[Dependency]:
        rows = await self._read(
            "MATCH (m:Memory {namespace: $ns}) WHERE m.dependencies IS NOT NULL RETURN m.dependencies AS bodies",
            ns=namespace,
        )
        found = [Dependency.model_validate_json(body) for r in rows for body in r["bodies"]]
        return sorted(found, key=lambda d: (d.occurred_at, d.memory_id, d.kind))

    async def insights_citing(self, namespace: str, memory_ids: Sequence[str]) -> list[CitingGroup]:
        rows = await self._read(
            "MATCH (n {namespace: $ns}) WHERE (n:Pattern OR n:Community) AND coalesce(n.insight_memory_id, '') <> '' "
            "AND any(s IN coalesce(n.sources, []) WHERE s IN $ids) "
            "RETURN CASE WHEN n:Pattern THEN 'Pattern' ELSE 'Community' END AS label, "
            "coalesce(n.pattern_id, n.community_id) AS id, n.insight_memory_id AS insight, n.sources AS sources",
            ns=namespace,
            ids=list(memory_ids),
        )
        return [
            CitingGroup(
                label=r["label"],
                group_id=str(r["id"]),
                insight_memory_id=str(r["insight"]),
                sources=tuple(r["sources"]),
            )
            for r in rows
        ]


def _order(verdict: Verdict) -> tuple[datetime, datetime]:
    """Newest by when it became known, then (imported history is all known at once) by when it happened."""
    return verdict.recorded_at, verdict.changed_at or verdict.recorded_at
