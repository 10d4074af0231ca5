"""Neo4j graph store, the reads recall and cache-warming make: turn order, entities, similarity,
feedback, agents, provenance and pattern success."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_graph_store.models import (
    EntityTurns,
    FeedbackCounts,
    TurnRef,
)
from somnia_graph_store.neo4j.base import Neo4jGraphBase, session_uid, turn_uid

ENTITY_TURNS = """
UNWIND $keys AS key
MATCH (e:Entity {uid: $ns + '|entity|' + key})
RETURN key,
       COUNT { (:Turn)-[:MENTIONS]->(e) } AS mentions,
       COLLECT { MATCH (t:Turn)-[:MENTIONS]->(e) RETURN [t.session_id, t.turn_id] LIMIT $limit } AS turns
"""


SIMILAR_MEMORIES = """
UNWIND $ids AS id
MATCH (:Memory {uid: $ns + '|' + id})-[r:SIMILAR_TO]->(o:Memory)
WITH id, o, r ORDER BY r.score DESC, o.memory_id
RETURN id, collect([o.memory_id, r.score])[..$limit] AS similar
"""


FEEDBACK_COUNTS = """
UNWIND $ids AS id
MATCH (f:Feedback)-[:FEEDBACK_ON]->(:Memory {uid: $ns + '|' + id})
RETURN id, f.signal AS signal, count(f) AS n
"""


AGENT_SESSIONS = """
MATCH (:Agent {uid: $uid})-[:RAN]->(s:Session)
RETURN s.session_id AS session_id
ORDER BY coalesce(s.started_at, datetime('1970-01-01T00:00:00Z')) DESC, s.session_id LIMIT $limit
"""


AGENT_TOOLS = """
MATCH (:Agent {uid: $uid})-[:RAN]->(s:Session)
WITH s ORDER BY coalesce(s.started_at, datetime('1970-01-01T00:00:00Z')) DESC LIMIT $sessions
CALL (s) {
  MATCH (s)<-[:PART_OF]-(:Turn)-[:USED_TOOL]->(t:Tool) RETURN t.name AS tool
  UNION ALL
  MATCH (s)-[:OFFERED]->(t:Tool) RETURN t.name AS tool
}
RETURN tool, count(*) AS n ORDER BY n DESC, tool LIMIT $limit
"""


SESSION_TURNS = """
MATCH (t:Turn {session_uid: $suid})
RETURN t.turn_id AS turn_id ORDER BY t.sort_key
"""


PATTERN_SUCCESS = """
UNWIND $uids AS uid
MATCH (t:Turn {uid: uid})-[:SUPPORTS]->(p:Pattern) WHERE p.successes + p.failures > 0
RETURN t.session_id AS session_id, t.turn_id AS turn_id, max(p.success_lower) AS best
"""


class Neo4jRecallReads(Neo4jGraphBase):
    async def session_turns(self, namespace: str, session_id: str) -> list[str]:
        rows = await self._read(SESSION_TURNS, suid=session_uid(namespace, session_id))
        return [str(r["turn_id"]) for r in rows]

    async def turn_distances(self, namespace: str, turns: Sequence[TurnRef], hops: int) -> list[dict[str, int]]:
        if not 1 <= hops <= 10:
            raise ValueError(f"hops must be 1..10, got {hops}")
        if not turns:
            return []
        uids = [turn_uid(namespace, t.session_id, t.turn_id) for t in turns]
        rows = await self._read(
            # The uid bound by WITH first: a plain variable is what the planner seeks the uid index with.
            "UNWIND range(0, size($uids) - 1) AS i WITH i, $uids[i] AS uid MATCH (t:Turn {uid: uid}) "
            f"MATCH p = (t)-[:NEXT*1..{int(hops)}]-(o:Turn) WHERE o <> t "
            "RETURN i, o.turn_id AS turn_id, min(length(p)) AS distance",
            uids=uids,
        )
        found: list[dict[str, int]] = [{} for _ in turns]
        for r in rows:
            found[int(r["i"])][str(r["turn_id"])] = int(r["distance"])
        return found

    async def memories_of_turn(self, namespace: str, session_id: str, turn_id: str) -> list[str]:
        rows = await self._read(
            "MATCH (m:Memory)-[:PART_OF]->(:Turn {uid: $uid}) RETURN m.memory_id AS memory_id ORDER BY m.memory_id",
            uid=turn_uid(namespace, session_id, turn_id),
        )
        return [str(r["memory_id"]) for r in rows]

    async def entity_turns(self, namespace: str, keys: Sequence[str], limit: int) -> list[EntityTurns]:
        rows = await self._read(ENTITY_TURNS, ns=namespace, keys=list(dict.fromkeys(keys)), limit=limit)
        return [
            EntityTurns(
                key=str(r["key"]),
                mentions=int(r["mentions"]),
                turns=tuple(TurnRef(session_id=str(s), turn_id=str(t)) for s, t in r["turns"]),
            )
            for r in rows
            if r["mentions"]
        ]

    async def similar_memories(
        self, namespace: str, memory_ids: Sequence[str], limit: int
    ) -> dict[str, list[tuple[str, float]]]:
        rows = await self._read(SIMILAR_MEMORIES, ns=namespace, ids=list(dict.fromkeys(memory_ids)), limit=limit)
        return {str(r["id"]): [(str(o), float(score)) for o, score in r["similar"]] for r in rows}

    async def feedback_counts(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, FeedbackCounts]:
        rows = await self._read(FEEDBACK_COUNTS, ns=namespace, ids=list(dict.fromkeys(memory_ids)))
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            counts.setdefault(str(r["id"]), {})[str(r["signal"])] = int(r["n"])
        return {m: FeedbackCounts(helped=c.get("helped", 0), misled=c.get("misled", 0)) for m, c in counts.items()}

    async def agent_sessions(self, namespace: str, agent: str, limit: int) -> list[str]:
        rows = await self._read(AGENT_SESSIONS, uid=f"{namespace}|agent|{agent}", limit=limit)
        return [str(r["session_id"]) for r in rows]

    async def agent_tools(self, namespace: str, agent: str, limit: int, sessions: int = 50) -> list[tuple[str, int]]:
        rows = await self._read(AGENT_TOOLS, uid=f"{namespace}|agent|{agent}", limit=limit, sessions=sessions)
        return [(str(r["tool"]), int(r["n"])) for r in rows]

    async def insight_sources(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        wanted = [m for m in dict.fromkeys(memory_ids) if m]
        if not wanted:
            return {}
        rows = await self._read(
            "MATCH (n {namespace: $ns}) WHERE (n:Pattern OR n:Community) AND n.insight_memory_id IN $ids "
            "RETURN n.insight_memory_id AS insight, n.sources AS sources",
            ns=namespace,
            ids=wanted,
        )
        return {str(r["insight"]): [str(s) for s in r["sources"] or []] for r in rows}

    async def pattern_success(self, namespace: str, turns: Sequence[TurnRef]) -> dict[TurnRef, float]:
        uids = [turn_uid(namespace, t.session_id, t.turn_id) for t in dict.fromkeys(turns)]
        rows = await self._read(PATTERN_SUCCESS, uids=uids)
        return {
            TurnRef(session_id=str(r["session_id"]), turn_id=str(r["turn_id"])): float(r["best"])
            for r in rows
            if r["best"] is not None
        }
