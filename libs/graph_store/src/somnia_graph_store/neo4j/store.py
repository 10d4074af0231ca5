"""The graph port on Neo4j (async driver): idempotent `UNWIND ... MERGE` batches, every query scoped by
namespace. Node identity is a `uid` property with a uniqueness constraint (Community edition has no
node keys): `<ns>|<session>` for sessions, `<ns>|<session>|<turn>` for turns, `<ns>|<memory>` for
memories, `<ns>|<kind>|<name>` for entities, tools, agents, feedback, patterns and communities.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from neo4j import AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable

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
    turn_sort_key,
)
from somnia_graph_store.ports import LABELS, RECENT_USES, GraphStoreError, Label

SCHEMA = [
    *(
        f"CREATE CONSTRAINT {label.lower()}_uid IF NOT EXISTS FOR (n:{label}) REQUIRE n.uid IS UNIQUE"
        for label in LABELS
    ),
    *(f"CREATE INDEX {label.lower()}_namespace IF NOT EXISTS FOR (n:{label}) ON (n.namespace)" for label in LABELS),
    "CREATE INDEX turn_session_order IF NOT EXISTS FOR (n:Turn) ON (n.session_uid, n.sort_key)",
]

MERGE_SESSIONS = """
UNWIND $rows AS row
MERGE (s:Session {uid: row.uid})
ON CREATE SET s.namespace = row.namespace, s.session_id = row.session_id
SET s += row.props
FOREACH (_ IN CASE WHEN row.agent <> '' THEN [1] ELSE [] END |
  MERGE (a:Agent {uid: row.namespace + '|agent|' + row.agent})
  ON CREATE SET a.namespace = row.namespace, a.name = row.agent
  MERGE (a)-[:RAN]->(s))
FOREACH (tool IN row.tools |
  MERGE (t:Tool {uid: row.namespace + '|tool|' + tool})
  ON CREATE SET t.namespace = row.namespace, t.name = tool
  MERGE (s)-[:OFFERED]->(t))
"""
MERGE_MENTIONS = """
UNWIND $rows AS row
MERGE (t:Turn {uid: row.turn_uid})
ON CREATE SET t.namespace = row.namespace, t.session_id = row.session_id, t.turn_id = row.turn_id
MERGE (e:Entity {uid: row.namespace + '|entity|' + row.key})
ON CREATE SET e.namespace = row.namespace, e.key = row.key, e.name = row.name, e.kind = row.kind
MERGE (t)-[:MENTIONS]->(e)
"""
MERGE_TOOL_USES = """
UNWIND $rows AS row
MERGE (t:Turn {uid: row.turn_uid})
ON CREATE SET t.namespace = row.namespace, t.session_id = row.session_id, t.turn_id = row.turn_id
MERGE (tool:Tool {uid: row.namespace + '|tool|' + row.tool})
ON CREATE SET tool.namespace = row.namespace, tool.name = row.tool
MERGE (t)-[:USED_TOOL]->(tool)
"""
MERGE_SIMILAR = """
UNWIND $rows AS row
MERGE (a:Memory {uid: row.namespace + '|' + row.a})
ON CREATE SET a.namespace = row.namespace, a.memory_id = row.a
MERGE (b:Memory {uid: row.namespace + '|' + row.b})
ON CREATE SET b.namespace = row.namespace, b.memory_id = row.b
MERGE (a)-[ab:SIMILAR_TO]->(b) SET ab.score = row.score
MERGE (b)-[ba:SIMILAR_TO]->(a) SET ba.score = row.score
"""
MERGE_FEEDBACK = """
UNWIND $rows AS row
MERGE (f:Feedback {uid: row.namespace + '|feedback|' + row.feedback_id})
ON CREATE SET f += row.props, f.namespace = row.namespace
FOREACH (_ IN CASE WHEN row.target = 'memory' THEN [1] ELSE [] END |
  MERGE (m:Memory {uid: row.namespace + '|' + row.target_id})
  ON CREATE SET m.namespace = row.namespace, m.memory_id = row.target_id
  MERGE (f)-[:FEEDBACK_ON]->(m))
FOREACH (_ IN CASE WHEN row.target = 'session' THEN [1] ELSE [] END |
  MERGE (s:Session {uid: row.namespace + '|' + row.target_id})
  ON CREATE SET s.namespace = row.namespace, s.session_id = row.target_id
  MERGE (f)-[:FEEDBACK_ON]->(s)
  FOREACH (__ IN CASE WHEN row.signal IN ['succeeded', 'failed'] THEN [1] ELSE [] END |
    SET s.outcome = row.signal))
"""
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
MERGE_TURNS = """
UNWIND $rows AS row
MERGE (s:Session {uid: row.session_uid})
ON CREATE SET s.namespace = row.namespace, s.session_id = row.session_id
MERGE (t:Turn {uid: row.uid})
SET t.namespace = row.namespace, t.session_id = row.session_id, t.turn_id = row.turn_id,
    t.role = row.role, t.occurred_at = row.occurred_at, t.sort_key = row.sort_key, t.session_uid = row.session_uid
MERGE (t)-[:PART_OF]->(s)
"""
# A new turn is spliced into its session's chain between its neighbours in time (two index seeks on
# (session_uid, sort_key)), so linking costs the same in a session of ten turns or ten thousand.
UNLINK_OUT = """
MATCH (t:Turn {uid: $uid})
OPTIONAL MATCH (t)-[old:NEXT]->()
DELETE old
"""
LINK_BEFORE = """
MATCH (t:Turn {uid: $uid})
MATCH (p:Turn {session_uid: $session_uid}) WHERE p.sort_key < t.sort_key
WITH t, p ORDER BY p.sort_key DESC LIMIT 1
OPTIONAL MATCH (p)-[old:NEXT]->()
DELETE old
MERGE (p)-[:NEXT]->(t)
"""
LINK_AFTER = """
MATCH (t:Turn {uid: $uid})
MATCH (n:Turn {session_uid: $session_uid}) WHERE n.sort_key > t.sort_key
WITH t, n ORDER BY n.sort_key LIMIT 1
MERGE (t)-[:NEXT]->(n)
"""
MERGE_MEMORIES = """
UNWIND $rows AS row
MERGE (t:Turn {uid: row.turn_uid})
ON CREATE SET t.namespace = row.namespace, t.session_id = row.session_id, t.turn_id = row.turn_id
MERGE (m:Memory {uid: row.uid})
SET m.namespace = row.namespace, m.memory_id = row.memory_id, m.kind = row.kind,
    m.session_id = row.session_id, m.turn_id = row.turn_id
MERGE (m)-[:PART_OF]->(t)
"""
SESSION_TURNS = """
MATCH (t:Turn {session_uid: $suid})
RETURN t.turn_id AS turn_id ORDER BY t.sort_key
"""
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
PATTERN_SUCCESS = """
UNWIND $uids AS uid
MATCH (t:Turn {uid: uid})-[:SUPPORTS]->(p:Pattern) WHERE p.successes + p.failures > 0
RETURN t.session_id AS session_id, t.turn_id AS turn_id, max(p.success_lower) AS best
"""
# Erasure: each query collects what it removes, deletes it and says how many nodes went.
ERASE_SESSIONS = """
UNWIND $sessions AS sid
MATCH (s:Session {uid: $ns + '|' + sid})
OPTIONAL MATCH (t:Turn) WHERE t.uid STARTS WITH s.uid + '|'
OPTIONAL MATCH (m:Memory)-[:PART_OF]->(t)
WITH collect(DISTINCT s) + collect(DISTINCT t) + collect(DISTINCT m) AS nodes
OPTIONAL MATCH (f:Feedback)-[:FEEDBACK_ON]->(x) WHERE x IN nodes
WITH nodes, collect(DISTINCT f) AS feedback
WITH nodes + feedback AS doomed
FOREACH (n IN doomed | DETACH DELETE n)
RETURN size(doomed) AS removed
"""
ERASE_MEMORIES = """
UNWIND $uids AS uid
MATCH (m:Memory {uid: uid})
OPTIONAL MATCH (f:Feedback)-[:FEEDBACK_ON]->(m)
OPTIONAL MATCH (m)-[:PART_OF]->(t:Turn)
WITH collect(DISTINCT m) + collect(DISTINCT f) AS doomed, collect(DISTINCT t.uid) AS turns
FOREACH (n IN doomed | DETACH DELETE n)
RETURN size(doomed) AS removed, turns
"""
ERASE_BARE_TURN = """
MATCH (t:Turn {uid: $uid}) WHERE NOT EXISTS { (:Memory)-[:PART_OF]->(t) }
OPTIONAL MATCH (p:Turn)-[:NEXT]->(t)
OPTIONAL MATCH (t)-[:NEXT]->(n:Turn)
DETACH DELETE t
WITH p, n
FOREACH (_ IN CASE WHEN p IS NOT NULL AND n IS NOT NULL THEN [1] ELSE [] END | MERGE (p)-[:NEXT]->(n))
RETURN 1 AS removed
"""
ERASE_ORPHAN_ENTITIES = """
MATCH (e:Entity {namespace: $ns}) WHERE NOT EXISTS { (:Turn)-[:MENTIONS]->(e) }
WITH collect(e) AS doomed
FOREACH (n IN doomed | DETACH DELETE n)
RETURN size(doomed) AS removed
"""

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


def _native(value: Any) -> Any:
    """neo4j.time values to datetime (the driver returns its own types)."""
    return value.to_native() if hasattr(value, "to_native") else value


def session_uid(namespace: str, session_id: str) -> str:
    return f"{namespace}|{session_id}"


def turn_uid(namespace: str, session_id: str, turn_id: str) -> str:
    return f"{namespace}|{session_id}|{turn_id}"


class Neo4jGraphStore:
    def __init__(self, uri: str, *, user: str, password: str, database: str = "neo4j") -> None:
        self._driver = AsyncGraphDatabase.driver(uri, auth=(user, password))
        self._database = database
        self._uri = uri

    async def _write(self, *steps: tuple[str, dict[str, Any]]) -> None:
        async def work(tx: AsyncManagedTransaction) -> None:
            for query, params in steps:
                await (await tx.run(query, params)).consume()

        try:
            async with self._driver.session(database=self._database) as session:
                await session.execute_write(work)
        except ServiceUnavailable as exc:
            raise GraphStoreError(f"Neo4j at {self._uri} is unavailable: {exc}") from exc
        except Neo4jError as exc:
            raise GraphStoreError(f"Neo4j refused a write: {exc.message}") from exc

    async def _read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        try:
            records, _, _ = await self._driver.execute_query(query, params, database_=self._database, routing_="r")
        except ServiceUnavailable as exc:
            raise GraphStoreError(f"Neo4j at {self._uri} is unavailable: {exc}") from exc
        except Neo4jError as exc:
            raise GraphStoreError(f"Neo4j refused a read: {exc.message}") from exc
        return [record.data() for record in records]

    async def ensure_schema(self) -> None:
        try:
            for statement in SCHEMA:
                await self._driver.execute_query(statement, database_=self._database)
        except (ServiceUnavailable, Neo4jError) as exc:
            raise GraphStoreError(f"Neo4j at {self._uri} refused the schema: {exc}") from exc

    async def upsert_sessions(self, sessions: Sequence[SessionNode]) -> None:
        rows = [
            {
                "uid": session_uid(s.namespace, s.session_id),
                "namespace": s.namespace,
                "session_id": s.session_id,
                "agent": s.agent,
                "tools": list(s.tools),
                "props": {
                    k: v
                    for k, v in s.model_dump(exclude={"namespace", "session_id"}).items()
                    if v not in (None, "", ())
                },
            }
            for s in sessions
        ]
        await self._write((MERGE_SESSIONS, {"rows": rows}))

    async def upsert_mentions(self, mentions: Sequence[Mention]) -> None:
        rows = [
            {
                "turn_uid": turn_uid(m.namespace, m.session_id, m.turn_id),
                "namespace": m.namespace,
                "session_id": m.session_id,
                "turn_id": m.turn_id,
                "key": m.entity_key,
                "name": m.name,
                "kind": m.kind,
            }
            for m in mentions
        ]
        await self._write((MERGE_MENTIONS, {"rows": rows}))

    async def upsert_tool_uses(self, uses: Sequence[ToolUse]) -> None:
        rows = [
            {
                "turn_uid": turn_uid(u.namespace, u.session_id, u.turn_id),
                "namespace": u.namespace,
                "session_id": u.session_id,
                "turn_id": u.turn_id,
                "tool": u.tool,
            }
            for u in uses
        ]
        await self._write((MERGE_TOOL_USES, {"rows": rows}))

    async def upsert_similarities(self, pairs: Sequence[Similarity]) -> None:
        rows = [{"namespace": p.namespace, "a": p.memory_id, "b": p.other_id, "score": p.score} for p in pairs]
        await self._write((MERGE_SIMILAR, {"rows": rows}))

    async def upsert_feedback(self, feedback: Sequence[FeedbackNode]) -> None:
        rows = [
            {
                "namespace": f.namespace,
                "feedback_id": f.feedback_id,
                "target": f.target,
                "target_id": f.target_id,
                "signal": f.signal,
                "props": f.model_dump(mode="json", exclude={"namespace"}),
            }
            for f in feedback
        ]
        await self._write((MERGE_FEEDBACK, {"rows": rows}))

    async def upsert_turns(self, turns: Sequence[TurnNode]) -> None:
        rows = [
            {
                "uid": turn_uid(t.namespace, t.session_id, t.turn_id),
                "session_uid": session_uid(t.namespace, t.session_id),
                "namespace": t.namespace,
                "session_id": t.session_id,
                "turn_id": t.turn_id,
                "role": t.role,
                "occurred_at": t.occurred_at,
                "sort_key": turn_sort_key(t),
            }
            for t in turns
        ]
        rows.sort(key=lambda row: (str(row["session_uid"]), str(row["sort_key"])))
        links = [
            (query, {"uid": row["uid"], "session_uid": row["session_uid"]})
            for row in rows
            for query in (UNLINK_OUT, LINK_BEFORE, LINK_AFTER)
        ]
        await self._write((MERGE_TURNS, {"rows": rows}), *links)

    async def upsert_memories(self, memories: Sequence[MemoryNode]) -> None:
        rows = [
            {
                "uid": f"{m.namespace}|{m.memory_id}",
                "turn_uid": turn_uid(m.namespace, m.session_id, m.turn_id),
                "namespace": m.namespace,
                "session_id": m.session_id,
                "turn_id": m.turn_id,
                "memory_id": m.memory_id,
                "kind": m.kind,
            }
            for m in memories
        ]
        await self._write((MERGE_MEMORIES, {"rows": rows}))

    async def session_turns(self, namespace: str, session_id: str) -> list[str]:
        rows = await self._read(SESSION_TURNS, suid=session_uid(namespace, session_id))
        return [str(r["turn_id"]) for r in rows]

    async def turn_neighbours(self, namespace: str, session_id: str, turn_id: str, hops: int = 1) -> list[str]:
        found = await self.turn_distances(namespace, session_id, turn_id, hops)
        return sorted(found, key=lambda t: (found[t], t))

    async def turn_distances(self, namespace: str, session_id: str, turn_id: str, hops: int) -> dict[str, int]:
        if not 1 <= hops <= 10:
            raise ValueError(f"hops must be 1..10, got {hops}")
        rows = await self._read(
            f"MATCH (t:Turn {{uid: $uid}}) MATCH p = (t)-[:NEXT*1..{int(hops)}]-(o:Turn) WHERE o <> t "
            "RETURN o.turn_id AS turn_id, min(length(p)) AS distance",
            uid=turn_uid(namespace, session_id, turn_id),
        )
        return {str(r["turn_id"]): int(r["distance"]) for r in rows}

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

    async def pattern_success(self, namespace: str, turns: Sequence[TurnRef]) -> dict[TurnRef, float]:
        uids = [turn_uid(namespace, t.session_id, t.turn_id) for t in dict.fromkeys(turns)]
        rows = await self._read(PATTERN_SUCCESS, uids=uids)
        return {
            TurnRef(session_id=str(r["session_id"]), turn_id=str(r["turn_id"])): float(r["best"])
            for r in rows
            if r["best"] is not None
        }

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

    async def _erase(self, *steps: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """Run erasure queries in one write transaction and return their single rows."""

        async def work(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
            rows = []
            for query, params in steps:
                rows += [record.data() async for record in await tx.run(query, params)]
            return rows

        try:
            async with self._driver.session(database=self._database) as session:
                return await session.execute_write(work)
        except ServiceUnavailable as exc:
            raise GraphStoreError(f"Neo4j at {self._uri} is unavailable: {exc}") from exc
        except Neo4jError as exc:
            raise GraphStoreError(f"Neo4j refused an erasure: {exc.message}") from exc

    async def erase_sessions(self, namespace: str, session_ids: Sequence[str]) -> int:
        rows = await self._erase(
            (ERASE_SESSIONS, {"ns": namespace, "sessions": list(dict.fromkeys(session_ids))}),
            (ERASE_ORPHAN_ENTITIES, {"ns": namespace}),
        )
        return sum(int(r["removed"]) for r in rows)

    async def erase_memories(self, namespace: str, memory_ids: Sequence[str]) -> int:
        uids = [f"{namespace}|{m}" for m in dict.fromkeys(memory_ids)]
        (first,) = await self._erase((ERASE_MEMORIES, {"uids": uids}))
        bare = [(ERASE_BARE_TURN, {"uid": uid}) for uid in first["turns"] or []]
        rows = await self._erase(*bare, (ERASE_ORPHAN_ENTITIES, {"ns": namespace}))
        return int(first["removed"]) + sum(int(r["removed"]) for r in rows)

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

    async def set_group_insight(
        self,
        namespace: str,
        label: Literal["Pattern", "Community"],
        group_id: str,
        insight_memory_id: str,
        sources: Sequence[str],
    ) -> None:
        kind = "pattern" if label == "Pattern" else "community"
        await self._write(
            (
                f"MATCH (n:{label} {{uid: $uid}}) SET n.insight_memory_id = $insight, n.sources = $sources",
                {"uid": f"{namespace}|{kind}|{group_id}", "insight": insight_memory_id, "sources": list(sources)},
            )
        )

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
        await self._write((MERGE_VERDICTS, {"rows": rows}))

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
                if known is None or verdict.recorded_at > known.recorded_at:
                    newest[str(r["id"])] = verdict
        return newest

    async def count(self, namespace: str, label: Label) -> int:
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}; use one of {LABELS}")
        rows = await self._read(f"MATCH (n:{label} {{namespace: $ns}}) RETURN count(n) AS n", ns=namespace)
        return int(rows[0]["n"])

    async def delete_namespace(self, namespace: str) -> int:
        removed = 0
        for label in LABELS:
            removed += await self.count(namespace, label)
            # Auto-commit batches, so a namespace of any size never needs one giant transaction.
            try:
                async with self._driver.session(database=self._database) as session:
                    result = await session.run(
                        f"MATCH (n:{label} {{namespace: $ns}}) "
                        "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS",
                        ns=namespace,
                    )
                    await result.consume()
            except (ServiceUnavailable, Neo4jError) as exc:
                raise GraphStoreError(f"Neo4j could not delete namespace {namespace}: {exc}") from exc
        return removed

    async def aclose(self) -> None:
        await self._driver.close()
