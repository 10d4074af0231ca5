"""Neo4j graph store: erasure: sessions, memories, a namespace, and the groups whose insight quotes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from neo4j import AsyncManagedTransaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from somnia_graph_store.neo4j.base import Neo4jGraphBase
from somnia_graph_store.ports import LABELS, GraphStoreError

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


class Neo4jErasure(Neo4jGraphBase):
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

    async def scrub(self, namespace: str) -> None:
        """Nothing to ask of Neo4j here: a deleted record's store space is marked free and reused, and
        the transaction log keeps it until rotation (docs/security.md: what an operator can do)."""

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

    async def memories_quoting(self, namespace: str, memory_ids: Sequence[str]) -> list[str]:
        rows = await self._read(
            "UNWIND $uids AS uid MATCH (n:Memory)-[:QUOTES]->(:Memory {uid: uid}) RETURN DISTINCT n.memory_id AS id",
            uids=[f"{namespace}|{m}" for m in dict.fromkeys(memory_ids)],
        )
        return sorted(str(r["id"]) for r in rows)
