"""Neo4j graph store: linking writes: sessions, turns, memories, mentions, tools, similarities, feedback."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_graph_store.models import (
    FeedbackNode,
    MemoryNode,
    Mention,
    SessionNode,
    Similarity,
    ToolUse,
    TurnNode,
    turn_sort_key,
)
from somnia_graph_store.neo4j.base import Neo4jGraphBase, session_uid, turn_uid

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
FOREACH (quoted IN row.quotes |
    MERGE (q:Memory {uid: row.namespace + '|' + quoted})
    ON CREATE SET q.namespace = row.namespace, q.memory_id = quoted
    MERGE (m)-[:QUOTES]->(q))
"""


class Neo4jLinking(Neo4jGraphBase):
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
                "quotes": list(m.quotes),
            }
            for m in memories
        ]
        await self._write((MERGE_MEMORIES, {"rows": rows}))
