"""Neo4j graph store: dreaming's store: session digests, patterns and communities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from somnia_graph_store.models import (
    CommunityKind,
    CommunityNode,
    PatternNode,
    SessionDigest,
    SessionPage,
    TurnDigest,
)
from somnia_graph_store.neo4j.base import Neo4jGraphBase, _native, turn_uid

SESSION_DIGESTS = """
MATCH (s:Session {namespace: $ns}) WHERE s.session_id > $after
WITH s ORDER BY s.session_id LIMIT $limit
CALL (s) {
  MATCH (t:Turn {session_uid: s.uid}) WHERE t.sort_key IS NOT NULL
  WITH t ORDER BY t.sort_key
  RETURN collect({
    turn_id: t.turn_id, role: t.role, occurred_at: t.occurred_at,
    tools: COLLECT { MATCH (t)-[:USED_TOOL]->(x:Tool) RETURN x.name ORDER BY x.name },
    entities: COLLECT { MATCH (t)-[:MENTIONS]->(e:Entity) RETURN e.key ORDER BY e.key }
  }) AS turns
}
RETURN s.session_id AS session_id, coalesce(s.agent, '') AS agent, coalesce(s.outcome, '') AS outcome, turns
"""


MERGE_PATTERNS = """
UNWIND $rows AS row
MERGE (p:Pattern {uid: row.uid})
SET p += row.props, p.namespace = row.namespace
"""


UNLINK_SUPPORTS = """
UNWIND $uids AS uid
MATCH (:Turn)-[old:SUPPORTS]->(:Pattern {uid: uid})
DELETE old
"""


LINK_SUPPORTS = """
UNWIND $rows AS row
MATCH (p:Pattern {uid: row.uid})
UNWIND row.turns AS turn_uid
MATCH (t:Turn {uid: turn_uid})
MERGE (t)-[:SUPPORTS]->(p)
"""


MERGE_COMMUNITIES = """
UNWIND $rows AS row
MERGE (c:Community {uid: row.uid})
SET c = row.props, c.uid = row.uid, c.namespace = row.namespace
"""


UNLINK_MEMBERS = """
UNWIND $uids AS uid
MATCH ()-[old:MEMBER_OF]->(:Community {uid: uid})
DELETE old
"""


LINK_MEMBERS = """
UNWIND $rows AS row
MATCH (c:Community {uid: row.uid})
UNWIND row.members AS member_uid
MATCH (m {uid: member_uid}) WHERE m:Entity OR m:Memory
MERGE (m)-[:MEMBER_OF]->(c)
"""


class Neo4jDreamStore(Neo4jGraphBase):
    async def session_digests(
        self, namespace: str, *, since: datetime, until: datetime, after: str = "", limit: int = 200
    ) -> SessionPage:
        rows = await self._read(SESSION_DIGESTS, ns=namespace, after=after, limit=limit)
        digests = []
        for r in rows:
            turns = tuple(
                TurnDigest(
                    turn_id=str(t["turn_id"]),
                    role=str(t["role"] or ""),
                    occurred_at=_native(t["occurred_at"]),
                    tools=tuple(t["tools"]),
                    entities=tuple(t["entities"]),
                )
                for t in r["turns"]
                if t["turn_id"] is not None and t["occurred_at"] is not None
            )
            if any(since <= t.occurred_at < until for t in turns):
                digests.append(
                    SessionDigest(session_id=str(r["session_id"]), agent=r["agent"], outcome=r["outcome"], turns=turns)
                )
        next_after = str(rows[-1]["session_id"]) if len(rows) == limit else None
        return SessionPage(digests=tuple(digests), next_after=next_after)

    async def upsert_patterns(self, patterns: Sequence[PatternNode]) -> None:
        rows = [
            {
                "uid": f"{p.namespace}|pattern|{p.pattern_id}",
                "namespace": p.namespace,
                "props": p.model_dump(mode="json", exclude={"namespace", "supporting_turns"}),
                "turns": [turn_uid(p.namespace, t.session_id, t.turn_id) for t in p.supporting_turns],
            }
            for p in patterns
        ]
        await self._write(
            (MERGE_PATTERNS, {"rows": rows}),
            (UNLINK_SUPPORTS, {"uids": [r["uid"] for r in rows]}),
            (LINK_SUPPORTS, {"rows": rows}),
        )

    async def upsert_communities(self, communities: Sequence[CommunityNode]) -> None:
        rows = [
            {
                "uid": f"{c.namespace}|community|{c.community_id}",
                "namespace": c.namespace,
                "props": c.model_dump(mode="json", exclude={"namespace"}),
                "members": [
                    f"{c.namespace}|entity|{m}" if c.kind == "entities" else f"{c.namespace}|{m}" for m in c.members
                ],
            }
            for c in communities
        ]
        await self._write(
            (MERGE_COMMUNITIES, {"rows": rows}),
            (UNLINK_MEMBERS, {"uids": [r["uid"] for r in rows]}),
            (LINK_MEMBERS, {"rows": rows}),
        )

    async def communities(self, namespace: str, kind: CommunityKind) -> list[CommunityNode]:
        rows = await self._read(
            "MATCH (c:Community {namespace: $ns}) WHERE c.kind = $kind RETURN properties(c) AS props "
            "ORDER BY c.community_id",
            ns=namespace,
            kind=kind,
        )
        fields = set(CommunityNode.model_fields)
        return [CommunityNode(**{k: v for k, v in r["props"].items() if k in fields}) for r in rows]
