"""Embedded graph store, the reads recall and cache-warming make: turn order, entities, similarity,
feedback, agents, provenance and pattern success."""

from __future__ import annotations

import json
from collections.abc import Sequence

from somnia_graph_store.embedded.base import SESSION_END, EmbeddedGraphBase, turn_key
from somnia_graph_store.models import (
    EntityTurns,
    FeedbackCounts,
    TurnRef,
)


class EmbeddedRecallReads(EmbeddedGraphBase):
    async def session_turns(self, namespace: str, session_id: str) -> list[str]:
        # The NEXT chain follows the turns' sort keys, so one index range scan reads it in order; turns
        # known only from their memories (no turn event yet) have no sort key and are not in it yet.
        rows = await self._reading(
            self._read,
            "SELECT key FROM node WHERE namespace = ? AND label = 'Turn' AND sort_key >= ? AND sort_key < ? "
            "ORDER BY sort_key",
            (namespace, f"{session_id}\x1f", f"{session_id}\x1f{SESSION_END}"),
        )
        return [str(r[0]).split("/", 1)[1] for r in rows]

    async def turn_distances(self, namespace: str, turns: Sequence[TurnRef], hops: int) -> list[dict[str, int]]:
        if not 1 <= hops <= 10:
            raise ValueError(f"hops must be 1..10, got {hops}")
        if not turns:
            return []
        starts = [f"Turn:{turn_key(t.session_id, t.turn_id)}" for t in turns]
        # One statement walks every seed's NEXT chain both ways (a recursive CTE with two recursive
        # arms; INDEXED BY: without statistics SQLite would scan every NEXT edge for the reverse step):
        # recall asks this for each of its seeds, and one query per step per seed was a fifth of its
        # graph reads' time.
        seeds = ", ".join("(?, ?)" for _ in starts)
        sql = (
            f"WITH RECURSIVE seed(i, node) AS (VALUES {seeds}), "
            "walk(i, node, distance) AS ("
            " SELECT i, node, 0 FROM seed"
            " UNION SELECT w.i, e.target, w.distance + 1 FROM walk w JOIN edge e"
            "  ON e.namespace = ? AND e.type = 'NEXT' AND e.source = w.node WHERE w.distance < ?"
            " UNION SELECT w.i, e.source, w.distance + 1 FROM walk w JOIN edge e INDEXED BY edge_target"
            "  ON e.namespace = ? AND e.type = 'NEXT' AND e.target = w.node WHERE w.distance < ?"
            ") SELECT walk.i, walk.node, MIN(walk.distance) FROM walk JOIN seed ON seed.i = walk.i"
            " WHERE walk.node <> seed.node GROUP BY walk.i, walk.node"
        )
        params: list[object] = [v for i, node in enumerate(starts) for v in (i, node)]
        params += [namespace, hops, namespace, hops]
        rows = await self._reading(self._read, sql, tuple(params))
        found: list[dict[str, int]] = [{} for _ in turns]
        for i, node, distance in rows:
            found[int(str(i))][str(node).split("/", 1)[1]] = int(str(distance))
        return found

    async def memories_of_turn(self, namespace: str, session_id: str, turn_id: str) -> list[str]:
        rows = await self._reading(
            self._read,
            "SELECT source FROM edge WHERE namespace = ? AND type = 'PART_OF' AND target = ? ORDER BY source",
            (namespace, f"Turn:{turn_key(session_id, turn_id)}"),
        )
        return [str(r[0]).removeprefix("Memory:") for r in rows]

    async def entity_turns(self, namespace: str, keys: Sequence[str], limit: int) -> list[EntityTurns]:
        def run() -> list[EntityTurns]:
            found = []
            for key in dict.fromkeys(keys):
                target = f"Entity:{key}"
                ((mentions,),) = self._read(
                    "SELECT COUNT(*) FROM edge INDEXED BY edge_target WHERE namespace = ? AND type = 'MENTIONS' "
                    "AND target = ?",
                    (namespace, target),
                )
                if not mentions:
                    continue
                rows = self._read(
                    "SELECT source FROM edge INDEXED BY edge_target WHERE namespace = ? AND type = 'MENTIONS' "
                    "AND target = ? LIMIT ?",
                    (namespace, target, limit),
                )
                turns = tuple(
                    TurnRef(session_id=session, turn_id=turn)
                    for session, turn in (str(r[0]).removeprefix("Turn:").split("/", 1) for r in rows)
                )
                found.append(EntityTurns(key=key, mentions=int(str(mentions)), turns=turns))
            return found

        return await self._reading(run)

    async def similar_memories(
        self, namespace: str, memory_ids: Sequence[str], limit: int
    ) -> dict[str, list[tuple[str, float]]]:
        def run() -> dict[str, list[tuple[str, float]]]:
            found: dict[str, list[tuple[str, float]]] = {}
            for memory_id in dict.fromkeys(memory_ids):
                rows = self._read(
                    "SELECT target, weight FROM edge WHERE namespace = ? AND type = 'SIMILAR_TO' AND source = ? "
                    "ORDER BY weight DESC, target LIMIT ?",
                    (namespace, f"Memory:{memory_id}", limit),
                )
                if rows:
                    found[memory_id] = [(str(t).removeprefix("Memory:"), float(str(w))) for t, w in rows]
            return found

        return await self._reading(run)

    async def feedback_counts(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, FeedbackCounts]:
        def run() -> dict[str, FeedbackCounts]:
            targets = [f"Memory:{m}" for m in dict.fromkeys(memory_ids)]
            counts: dict[str, dict[str, int]] = {}
            for start in range(0, len(targets), 500):  # one query per 500 ids (SQLite's variable limit)
                chunk = targets[start : start + 500]
                for target, signal, n in self._read(
                    "SELECT e.target, json_extract(n.props, '$.signal'), COUNT(*) FROM edge e INDEXED BY edge_target "
                    "JOIN node n ON n.namespace = e.namespace AND n.label = 'Feedback' "
                    "AND n.key = substr(e.source, 10) "
                    f"WHERE e.namespace = ? AND e.type = 'FEEDBACK_ON' AND e.target IN ({','.join('?' * len(chunk))}) "
                    "GROUP BY 1, 2",
                    (namespace, *chunk),
                ):
                    counts.setdefault(str(target).removeprefix("Memory:"), {})[str(signal)] = int(str(n))
            return {m: FeedbackCounts(helped=c.get("helped", 0), misled=c.get("misled", 0)) for m, c in counts.items()}

        return await self._reading(run)

    async def agent_sessions(self, namespace: str, agent: str, limit: int) -> list[str]:
        rows = await self._reading(
            self._read,
            # The edge's weight is the session's start: the newest are the index range's end, read
            # without sorting every session the agent ever ran (3.5 ms for 2,500 by the start in props).
            "SELECT substr(target, 9) FROM edge INDEXED BY ran_by_start WHERE namespace = ? AND type = 'RAN' "
            "AND source = ? ORDER BY weight DESC, target LIMIT ?",
            (namespace, f"Agent:{agent}", limit),
        )
        return [str(r[0]) for r in rows]

    async def agent_tools(self, namespace: str, agent: str, limit: int, sessions: int = 50) -> list[tuple[str, int]]:
        recent = await self.agent_sessions(namespace, agent, sessions)

        def run() -> list[tuple[str, int]]:
            counts: dict[str, int] = {}
            for session in recent:
                for (tool,) in self._read(
                    "SELECT target FROM edge WHERE namespace = ? AND type = 'USED_TOOL' AND source >= ? AND source < ?",
                    (namespace, f"Turn:{session}/", f"Turn:{session}/{SESSION_END}"),
                ) + self._read(
                    "SELECT target FROM edge WHERE namespace = ? AND type = 'OFFERED' AND source = ?",
                    (namespace, f"Session:{session}"),
                ):
                    name = str(tool).removeprefix("Tool:")
                    counts[name] = counts.get(name, 0) + 1
            return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

        return await self._reading(run)

    async def insight_sources(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        wanted = [m for m in dict.fromkeys(memory_ids) if m]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self._reading(
            self._read,
            "SELECT json_extract(props, '$.insight_memory_id'), json_extract(props, '$.sources') FROM node "
            f"WHERE namespace = ? AND label IN ('Pattern', 'Community') "
            f"AND json_extract(props, '$.insight_memory_id') IN ({marks})",
            (namespace, *wanted),
        )
        return {str(insight): list(json.loads(str(sources or "[]"))) for insight, sources in rows}

    async def pattern_success(self, namespace: str, turns: Sequence[TurnRef]) -> dict[TurnRef, float]:
        def run() -> dict[TurnRef, float]:
            by_key = {f"Turn:{turn_key(t.session_id, t.turn_id)}": t for t in turns}
            keys = list(by_key)
            found: dict[TurnRef, float] = {}
            for start in range(0, len(keys), 500):  # one query per 500 turns (SQLite's variable limit)
                chunk = keys[start : start + 500]
                for source, best in self._read(
                    "SELECT e.source, MAX(json_extract(n.props, '$.success_lower')) FROM edge e JOIN node n "
                    "ON n.namespace = e.namespace AND n.label = 'Pattern' AND n.key = substr(e.target, 9) "
                    f"WHERE e.namespace = ? AND e.type = 'SUPPORTS' AND e.source IN ({','.join('?' * len(chunk))}) "
                    "AND json_extract(n.props, '$.successes') + json_extract(n.props, '$.failures') > 0 "
                    "GROUP BY e.source",
                    (namespace, *chunk),
                ):
                    if best is not None:
                        found[by_key[str(source)]] = float(str(best))
            return found

        return await self._reading(run)
