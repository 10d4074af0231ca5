"""The embedded graph: nodes and edges in one SQLite file, for one machine.

Nodes are keyed by (namespace, label, key); edges by (namespace, type, source, target). NEXT edges of a
session are rebuilt from its turns' order whenever turns arrive, so out-of-order delivery still yields
one chain.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

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
from somnia_graph_store.ports import RECENT_USES, Label

SCHEMA = """
CREATE TABLE IF NOT EXISTS node (
    namespace TEXT NOT NULL,
    label TEXT NOT NULL,
    key TEXT NOT NULL,
    props TEXT NOT NULL,
    sort_key TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (namespace, label, key)
);
CREATE TABLE IF NOT EXISTS edge (
    namespace TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    weight REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (namespace, type, source, target)
);
CREATE INDEX IF NOT EXISTS edge_target ON edge(namespace, type, target);
CREATE INDEX IF NOT EXISTS node_sort ON node(namespace, label, sort_key);
"""
# A turn's sort key starts with its session, so a session's turns are one contiguous index range and
# a new turn finds its neighbours in time with two index seeks.
SESSION_END = "\U0010ffff"


EDGE_TYPES = (
    "NEXT",
    "PART_OF",
    "RAN",
    "MENTIONS",
    "USED_TOOL",
    "OFFERED",
    "SIMILAR_TO",
    "FEEDBACK_ON",
    "SUPPORTS",
    "MEMBER_OF",
    "SUPERSEDES",
)


def session_sort_key(turn: TurnNode) -> str:
    return f"{turn.session_id}\x1f{turn_sort_key(turn)}"


def turn_key(session_id: str, turn_id: str) -> str:
    return f"{session_id}/{turn_id}"


class EmbeddedGraphStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._lock = threading.Lock()

    async def ensure_schema(self) -> None:
        def run() -> None:
            with self._lock:
                self._conn.executescript(SCHEMA)
                columns = {row[1] for row in self._conn.execute("PRAGMA table_info(edge)")}
                if "weight" not in columns:  # graphs written before SIMILAR_TO carried a score
                    self._conn.execute("ALTER TABLE edge ADD COLUMN weight REAL NOT NULL DEFAULT 0")

        await asyncio.to_thread(run)

    def _write(self, statements: list[tuple[str, tuple[object, ...]]]) -> None:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    cur.execute(sql, params)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def _merge_node(
        self, namespace: str, label: str, key: str, props: dict[str, object], sort_key: str = ""
    ) -> tuple[str, tuple[object, ...]]:
        # json_patch merges new non-null properties into the old ones, like Cypher's SET n += $props.
        return (
            "INSERT INTO node(namespace, label, key, props, sort_key) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(namespace, label, key) DO UPDATE SET "
            "props = json_patch(node.props, excluded.props), "
            "sort_key = CASE WHEN excluded.sort_key = '' THEN node.sort_key ELSE excluded.sort_key END",
            (namespace, label, key, json.dumps(props), sort_key),
        )

    @staticmethod
    def _edge(
        namespace: str, type_: str, source: str, target: str, weight: float = 0.0
    ) -> tuple[str, tuple[object, ...]]:
        return (
            "INSERT INTO edge(namespace, type, source, target, weight) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(namespace, type, source, target) DO UPDATE SET weight = excluded.weight",
            (namespace, type_, source, target, weight),
        )

    async def upsert_sessions(self, sessions: Sequence[SessionNode]) -> None:
        statements = []
        for s in sessions:
            props = {
                k: v for k, v in s.model_dump(mode="json", exclude={"namespace"}).items() if v not in (None, "", [])
            }
            statements.append(self._merge_node(s.namespace, "Session", s.session_id, props))
            if s.agent:
                statements.append(self._merge_node(s.namespace, "Agent", s.agent, {"name": s.agent}))
                statements.append(self._edge(s.namespace, "RAN", f"Agent:{s.agent}", f"Session:{s.session_id}"))
            for tool in s.tools:
                statements.append(self._merge_node(s.namespace, "Tool", tool, {"name": tool}))
                statements.append(self._edge(s.namespace, "OFFERED", f"Session:{s.session_id}", f"Tool:{tool}"))
        await asyncio.to_thread(self._write, statements)

    async def upsert_mentions(self, mentions: Sequence[Mention]) -> None:
        statements = []
        for m in mentions:
            statements.append(self._merge_node(m.namespace, "Entity", m.entity_key, {"name": m.name, "kind": m.kind}))
            statements.append(
                self._edge(
                    m.namespace, "MENTIONS", f"Turn:{turn_key(m.session_id, m.turn_id)}", f"Entity:{m.entity_key}"
                )
            )
        await asyncio.to_thread(self._write, statements)

    async def upsert_tool_uses(self, uses: Sequence[ToolUse]) -> None:
        statements = []
        for u in uses:
            statements.append(self._merge_node(u.namespace, "Tool", u.tool, {"name": u.tool}))
            statements.append(
                self._edge(u.namespace, "USED_TOOL", f"Turn:{turn_key(u.session_id, u.turn_id)}", f"Tool:{u.tool}")
            )
        await asyncio.to_thread(self._write, statements)

    async def upsert_similarities(self, pairs: Sequence[Similarity]) -> None:
        statements = []
        for p in pairs:
            a, b = f"Memory:{p.memory_id}", f"Memory:{p.other_id}"
            statements.append(self._edge(p.namespace, "SIMILAR_TO", a, b, p.score))
            statements.append(self._edge(p.namespace, "SIMILAR_TO", b, a, p.score))
        await asyncio.to_thread(self._write, statements)

    async def upsert_feedback(self, feedback: Sequence[FeedbackNode]) -> None:
        statements = []
        for f in feedback:
            props = f.model_dump(mode="json", exclude={"namespace"})
            statements.append(self._merge_node(f.namespace, "Feedback", f.feedback_id, props))
            label = "Memory" if f.target == "memory" else "Session"
            statements.append(
                self._edge(f.namespace, "FEEDBACK_ON", f"Feedback:{f.feedback_id}", f"{label}:{f.target_id}")
            )
            if f.target == "session" and f.signal in ("succeeded", "failed"):
                statements.append(self._merge_node(f.namespace, "Session", f.target_id, {"outcome": f.signal}))
        await asyncio.to_thread(self._write, statements)

    async def upsert_turns(self, turns: Sequence[TurnNode]) -> None:
        await asyncio.to_thread(self._upsert_turns_sync, turns)

    def _upsert_turns_sync(self, turns: Sequence[TurnNode]) -> None:
        ordered = sorted(turns, key=lambda t: (t.namespace, t.session_id, turn_sort_key(t)))
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for t in ordered:
                    key = turn_key(t.session_id, t.turn_id)
                    for sql, params in (
                        self._merge_node(t.namespace, "Session", t.session_id, {"session_id": t.session_id}),
                        self._merge_node(
                            t.namespace,
                            "Turn",
                            key,
                            t.model_dump(mode="json", exclude={"namespace"}),
                            session_sort_key(t),
                        ),
                        self._edge(t.namespace, "PART_OF", f"Turn:{key}", f"Session:{t.session_id}"),
                    ):
                        cur.execute(sql, params)
                    self._link_next(cur, t)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    @staticmethod
    def _link_next(cur: sqlite3.Cursor, turn: TurnNode) -> None:
        """Splice the turn into its session's NEXT chain between its neighbours in time (idempotent)."""
        ns, key, sort = turn.namespace, turn_key(turn.session_id, turn.turn_id), session_sort_key(turn)
        low, high = f"{turn.session_id}\x1f", f"{turn.session_id}\x1f{SESSION_END}"
        before = cur.execute(
            "SELECT key FROM node WHERE namespace = ? AND label = 'Turn' AND sort_key >= ? AND sort_key < ? "
            "ORDER BY sort_key DESC LIMIT 1",
            (ns, low, sort),
        ).fetchone()
        after = cur.execute(
            "SELECT key FROM node WHERE namespace = ? AND label = 'Turn' AND sort_key > ? AND sort_key < ? "
            "ORDER BY sort_key LIMIT 1",
            (ns, sort, high),
        ).fetchone()
        cur.execute("DELETE FROM edge WHERE namespace = ? AND type = 'NEXT' AND source = ?", (ns, f"Turn:{key}"))
        if before is not None:
            cur.execute(
                "DELETE FROM edge WHERE namespace = ? AND type = 'NEXT' AND source = ?", (ns, f"Turn:{before[0]}")
            )
            cur.execute(
                "INSERT OR IGNORE INTO edge(namespace, type, source, target) VALUES (?, 'NEXT', ?, ?)",
                (ns, f"Turn:{before[0]}", f"Turn:{key}"),
            )
        if after is not None:
            cur.execute(
                "INSERT OR IGNORE INTO edge(namespace, type, source, target) VALUES (?, 'NEXT', ?, ?)",
                (ns, f"Turn:{key}", f"Turn:{after[0]}"),
            )

    async def upsert_memories(self, memories: Sequence[MemoryNode]) -> None:
        statements = []
        for m in memories:
            key = turn_key(m.session_id, m.turn_id)
            statements.append(
                self._merge_node(m.namespace, "Turn", key, {"session_id": m.session_id, "turn_id": m.turn_id})
            )
            statements.append(
                self._merge_node(m.namespace, "Memory", m.memory_id, m.model_dump(mode="json", exclude={"namespace"}))
            )
            statements.append(self._edge(m.namespace, "PART_OF", f"Memory:{m.memory_id}", f"Turn:{key}"))
        await asyncio.to_thread(self._write, statements)

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    async def session_turns(self, namespace: str, session_id: str) -> list[str]:
        # The NEXT chain follows the turns' sort keys, so one index range scan reads it in order; turns
        # known only from their memories (no turn event yet) have no sort key and are not in it yet.
        rows = await asyncio.to_thread(
            self._read,
            "SELECT key FROM node WHERE namespace = ? AND label = 'Turn' AND sort_key >= ? AND sort_key < ? "
            "ORDER BY sort_key",
            (namespace, f"{session_id}\x1f", f"{session_id}\x1f{SESSION_END}"),
        )
        return [str(r[0]).split("/", 1)[1] for r in rows]

    async def turn_neighbours(self, namespace: str, session_id: str, turn_id: str, hops: int = 1) -> list[str]:
        found = await self.turn_distances(namespace, session_id, turn_id, hops)
        return sorted(found, key=lambda t: (found[t], t))

    async def turn_distances(self, namespace: str, session_id: str, turn_id: str, hops: int) -> dict[str, int]:
        def run() -> dict[str, int]:
            start = f"Turn:{turn_key(session_id, turn_id)}"
            seen, frontier, found = {start}, [start], {}
            for distance in range(1, hops + 1):
                following: list[str] = []
                for node in frontier:
                    # INDEXED BY: without statistics SQLite would scan every NEXT edge for the reverse lookup.
                    for (other,) in self._read(
                        "SELECT target FROM edge WHERE namespace = ? AND type = 'NEXT' AND source = ? "
                        "UNION SELECT source FROM edge INDEXED BY edge_target "
                        "WHERE namespace = ? AND type = 'NEXT' AND target = ?",
                        (namespace, node, namespace, node),
                    ):
                        if other not in seen:
                            seen.add(str(other))
                            following.append(str(other))
                            found[str(other).split("/", 1)[1]] = distance
                frontier = following
            return found

        return await asyncio.to_thread(run)

    async def memories_of_turn(self, namespace: str, session_id: str, turn_id: str) -> list[str]:
        rows = await asyncio.to_thread(
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

        return await asyncio.to_thread(run)

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

        return await asyncio.to_thread(run)

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

        return await asyncio.to_thread(run)

    async def agent_sessions(self, namespace: str, agent: str, limit: int) -> list[str]:
        rows = await asyncio.to_thread(
            self._read,
            "SELECT n.key FROM edge e JOIN node n ON n.namespace = e.namespace AND n.label = 'Session' "
            "AND n.key = substr(e.target, 9) WHERE e.namespace = ? AND e.type = 'RAN' AND e.source = ? "
            "ORDER BY json_extract(n.props, '$.started_at') DESC, n.key LIMIT ?",
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

        return await asyncio.to_thread(run)

    async def session_digests(
        self, namespace: str, *, since: datetime, until: datetime, after: str = "", limit: int = 200
    ) -> SessionPage:
        def run() -> SessionPage:
            sessions = self._read(
                "SELECT key, props FROM node WHERE namespace = ? AND label = 'Session' AND key > ? "
                "ORDER BY key LIMIT ?",
                (namespace, after, limit),
            )
            digests = []
            for key, props in sessions:
                digest = self._digest(namespace, str(key), json.loads(str(props)), since, until)
                if digest is not None:
                    digests.append(digest)
            next_after = str(sessions[-1][0]) if len(sessions) == limit else None
            return SessionPage(digests=tuple(digests), next_after=next_after)

        return await asyncio.to_thread(run)

    def _digest(
        self, namespace: str, session_id: str, props: dict[str, object], since: datetime, until: datetime
    ) -> SessionDigest | None:
        turns = self._read(
            "SELECT key, props FROM node WHERE namespace = ? AND label = 'Turn' AND sort_key >= ? AND sort_key < ? "
            "ORDER BY sort_key",
            (namespace, f"{session_id}\x1f", f"{session_id}\x1f{SESSION_END}"),
        )
        parsed = [(str(k), json.loads(str(p))) for k, p in turns]
        if not any(since <= datetime.fromisoformat(p["occurred_at"]) < until for _, p in parsed):
            return None
        low, high = f"Turn:{session_id}/", f"Turn:{session_id}/{SESSION_END}"
        linked: dict[str, dict[str, list[str]]] = {}
        for type_, source, target in self._read(
            "SELECT type, source, target FROM edge WHERE namespace = ? AND type IN ('USED_TOOL', 'MENTIONS') "
            "AND source >= ? AND source < ? ORDER BY source, type, target",
            (namespace, low, high),
        ):
            bucket = linked.setdefault(str(source).removeprefix("Turn:"), {"USED_TOOL": [], "MENTIONS": []})
            bucket[str(type_)].append(str(target).split(":", 1)[1])
        return SessionDigest(
            session_id=session_id,
            agent=str(props.get("agent", "")),
            outcome=str(props.get("outcome", "")),
            turns=tuple(
                TurnDigest(
                    turn_id=str(p["turn_id"]),
                    role=str(p["role"]),
                    occurred_at=datetime.fromisoformat(p["occurred_at"]),
                    tools=tuple(linked.get(key, {}).get("USED_TOOL", ())),
                    entities=tuple(linked.get(key, {}).get("MENTIONS", ())),
                )
                for key, p in parsed
            ),
        )

    async def upsert_patterns(self, patterns: Sequence[PatternNode]) -> None:
        statements: list[tuple[str, tuple[object, ...]]] = []
        for p in patterns:
            props = p.model_dump(mode="json", exclude={"namespace", "supporting_turns"})
            statements.append(self._merge_node(p.namespace, "Pattern", p.pattern_id, props))
            statements.append(
                (
                    "DELETE FROM edge WHERE namespace = ? AND type = 'SUPPORTS' AND target = ?",
                    (p.namespace, f"Pattern:{p.pattern_id}"),
                )
            )
            for t in p.supporting_turns:
                statements.append(
                    self._edge(
                        p.namespace, "SUPPORTS", f"Turn:{turn_key(t.session_id, t.turn_id)}", f"Pattern:{p.pattern_id}"
                    )
                )
        await asyncio.to_thread(self._write, statements)

    async def upsert_communities(self, communities: Sequence[CommunityNode]) -> None:
        statements: list[tuple[str, tuple[object, ...]]] = []
        for c in communities:
            # Members are replaced, not merged: json_patch would keep a member that left.
            statements.append(
                (
                    "DELETE FROM node WHERE namespace = ? AND label = 'Community' AND key = ?",
                    (c.namespace, c.community_id),
                )
            )
            statements.append(
                self._merge_node(
                    c.namespace, "Community", c.community_id, c.model_dump(mode="json", exclude={"namespace"})
                )
            )
            statements.append(
                (
                    "DELETE FROM edge WHERE namespace = ? AND type = 'MEMBER_OF' AND target = ?",
                    (c.namespace, f"Community:{c.community_id}"),
                )
            )
            label = "Entity" if c.kind == "entities" else "Memory"
            for member in c.members:
                statements.append(
                    self._edge(c.namespace, "MEMBER_OF", f"{label}:{member}", f"Community:{c.community_id}")
                )
        await asyncio.to_thread(self._write, statements)

    async def communities(self, namespace: str, kind: CommunityKind) -> list[CommunityNode]:
        rows = await asyncio.to_thread(
            self._read,
            "SELECT props FROM node WHERE namespace = ? AND label = 'Community' "
            "AND json_extract(props, '$.kind') = ? ORDER BY key",
            (namespace, kind),
        )
        return [CommunityNode(namespace=namespace, **json.loads(str(r[0]))) for r in rows]

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

        return await asyncio.to_thread(run)

    async def insight_sources(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        wanted = [m for m in dict.fromkeys(memory_ids) if m]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await asyncio.to_thread(
            self._read,
            "SELECT json_extract(props, '$.insight_memory_id'), json_extract(props, '$.sources') FROM node "
            f"WHERE namespace = ? AND label IN ('Pattern', 'Community') "
            f"AND json_extract(props, '$.insight_memory_id') IN ({marks})",
            (namespace, *wanted),
        )
        return {str(insight): list(json.loads(str(sources or "[]"))) for insight, sources in rows}

    # -- erasure ---------------------------------------------------------------------------------

    def _erase(self, work: Callable[[sqlite3.Cursor], int]) -> int:
        """Run `work` in one immediate transaction (erasures, and read-modify-writes like uses)."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                removed = work(cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return removed

    @staticmethod
    def _sources_of(cur: sqlite3.Cursor, namespace: str, type_: str, targets: Sequence[str]) -> list[str]:
        found: list[str] = []
        for start in range(0, len(targets), 500):
            chunk = list(targets[start : start + 500])
            found += [
                str(r[0])
                for r in cur.execute(
                    f"SELECT source FROM edge INDEXED BY edge_target WHERE namespace = ? AND type = ? "
                    f"AND target IN ({','.join('?' * len(chunk))})",
                    (namespace, type_, *chunk),
                )
            ]
        return found

    @staticmethod
    def _erase_nodes(cur: sqlite3.Cursor, namespace: str, nodes: Sequence[str]) -> int:
        """Delete nodes ('Label:key') and every edge that touches them."""
        removed = 0
        unique = list(dict.fromkeys(nodes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for type_ in EDGE_TYPES:
                cur.execute(
                    f"DELETE FROM edge WHERE namespace = ? AND type = ? AND source IN ({marks})",
                    (namespace, type_, *chunk),
                )
                cur.execute(
                    f"DELETE FROM edge INDEXED BY edge_target WHERE namespace = ? AND type = ? AND target IN ({marks})",
                    (namespace, type_, *chunk),
                )
            for node in chunk:
                label, key = node.split(":", 1)
                cur.execute("DELETE FROM node WHERE namespace = ? AND label = ? AND key = ?", (namespace, label, key))
                removed += cur.rowcount
        return removed

    def _erase_orphan_entities(self, cur: sqlite3.Cursor, namespace: str) -> int:
        orphans = [
            f"Entity:{r[0]}"
            for r in cur.execute(
                "SELECT key FROM node WHERE namespace = ? AND label = 'Entity' AND NOT EXISTS ("
                "SELECT 1 FROM edge INDEXED BY edge_target WHERE edge.namespace = node.namespace "
                "AND edge.type = 'MENTIONS' AND edge.target = 'Entity:' || node.key)",
                (namespace,),
            ).fetchall()
        ]
        return self._erase_nodes(cur, namespace, orphans)

    async def erase_sessions(self, namespace: str, session_ids: Sequence[str]) -> int:
        def work(cur: sqlite3.Cursor) -> int:
            doomed: list[str] = []
            for session in dict.fromkeys(session_ids):
                turns = [
                    f"Turn:{r[0]}"
                    for r in cur.execute(
                        "SELECT key FROM node WHERE namespace = ? AND label = 'Turn' AND key >= ? AND key < ?",
                        (namespace, f"{session}/", f"{session}/{SESSION_END}"),
                    ).fetchall()
                ]
                doomed += [f"Session:{session}", *turns, *self._sources_of(cur, namespace, "PART_OF", turns)]
            doomed += self._sources_of(cur, namespace, "FEEDBACK_ON", doomed)
            return self._erase_nodes(cur, namespace, doomed) + self._erase_orphan_entities(cur, namespace)

        return await asyncio.to_thread(self._erase, work)

    async def erase_memories(self, namespace: str, memory_ids: Sequence[str]) -> int:
        def work(cur: sqlite3.Cursor) -> int:
            memories = [f"Memory:{m}" for m in dict.fromkeys(memory_ids)]
            turns = list(
                dict.fromkeys(
                    str(r[0])
                    for m in memories
                    for r in cur.execute(
                        "SELECT target FROM edge WHERE namespace = ? AND type = 'PART_OF' AND source = ?",
                        (namespace, m),
                    ).fetchall()
                )
            )
            removed = self._erase_nodes(
                cur, namespace, memories + self._sources_of(cur, namespace, "FEEDBACK_ON", memories)
            )
            for turn in turns:
                if self._sources_of(cur, namespace, "PART_OF", [turn]):
                    continue  # the turn's other chunks stay
                before = self._sources_of(cur, namespace, "NEXT", [turn])
                after = [
                    str(r[0])
                    for r in cur.execute(
                        "SELECT target FROM edge WHERE namespace = ? AND type = 'NEXT' AND source = ?",
                        (namespace, turn),
                    ).fetchall()
                ]
                removed += self._erase_nodes(cur, namespace, [turn])
                if before and after:  # keep the session one chain
                    cur.execute(
                        "INSERT OR IGNORE INTO edge(namespace, type, source, target) VALUES (?, 'NEXT', ?, ?)",
                        (namespace, before[0], after[0]),
                    )
            return removed + self._erase_orphan_entities(cur, namespace)

        return await asyncio.to_thread(self._erase, work)

    async def insights_citing(self, namespace: str, memory_ids: Sequence[str]) -> list[CitingGroup]:
        wanted = set(memory_ids)
        rows = await asyncio.to_thread(
            self._read,
            "SELECT label, key, json_extract(props, '$.insight_memory_id'), json_extract(props, '$.sources') "
            "FROM node WHERE namespace = ? AND label IN ('Pattern', 'Community') "
            "AND coalesce(json_extract(props, '$.insight_memory_id'), '') != ''",
            (namespace,),
        )
        found = []
        for label, key, insight, sources in rows:
            quoted = tuple(json.loads(str(sources or "[]")))
            if wanted.intersection(quoted):
                found.append(
                    CitingGroup(
                        label="Pattern" if label == "Pattern" else "Community",
                        group_id=str(key),
                        insight_memory_id=str(insight),
                        sources=quoted,
                    )
                )
        return found

    async def set_group_insight(
        self,
        namespace: str,
        label: Literal["Pattern", "Community"],
        group_id: str,
        insight_memory_id: str,
        sources: Sequence[str],
    ) -> None:
        await asyncio.to_thread(
            self._write,
            [
                (
                    "UPDATE node SET props = json_set(props, '$.insight_memory_id', ?, '$.sources', json(?)) "
                    "WHERE namespace = ? AND label = ? AND key = ?",
                    (insight_memory_id, json.dumps(list(sources)), namespace, label, group_id),
                )
            ],
        )

    async def record_uses(self, uses: Sequence[MemoryUse]) -> None:
        def work(cur: sqlite3.Cursor) -> int:
            for use in uses:
                row = cur.execute(
                    "SELECT props FROM node WHERE namespace = ? AND label = 'Memory' AND key = ?",
                    (use.namespace, use.memory_id),
                ).fetchone()
                if row is None:
                    continue
                props = json.loads(str(row[0]))
                ids, times = list(props.get("use_ids", [])), list(props.get("use_times", []))
                if use.use_id in ids:
                    continue  # a redelivered use
                cur.execute(
                    "UPDATE node SET props = json_set(props, '$.uses', ?, '$.use_ids', json(?), "
                    "'$.use_times', json(?)) WHERE namespace = ? AND label = 'Memory' AND key = ?",
                    (
                        int(props.get("uses", 0)) + 1,
                        json.dumps([*ids, use.use_id][-RECENT_USES:]),
                        json.dumps([*times, use.used_at.isoformat()][-RECENT_USES:]),
                        use.namespace,
                        use.memory_id,
                    ),
                )
            return 0

        await asyncio.to_thread(self._erase, work)

    async def memory_uses(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, UseHistory]:
        def run() -> dict[str, UseHistory]:
            wanted = list(dict.fromkeys(memory_ids))
            found: dict[str, UseHistory] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for key, uses, times in self._read(
                    "SELECT key, json_extract(props, '$.uses'), json_extract(props, '$.use_times') FROM node "
                    f"WHERE namespace = ? AND label = 'Memory' AND key IN ({','.join('?' * len(chunk))}) "
                    "AND json_extract(props, '$.uses') > 0",
                    (namespace, *chunk),
                ):
                    recent = sorted(datetime.fromisoformat(t) for t in json.loads(str(times)))
                    found[str(key)] = UseHistory(count=int(str(uses)), recent=tuple(recent))
            return found

        return await asyncio.to_thread(run)

    async def upsert_supersessions(self, supersessions: Sequence[Supersession]) -> None:
        statements: list[tuple[str, tuple[object, ...]]] = []
        for s in supersessions:
            for memory_id in (s.newer_id, s.older_id):
                statements.append(self._merge_node(s.namespace, "Memory", memory_id, {"memory_id": memory_id}))
            # The edge's weight holds when it became known (a timestamp), its reason the node's props.
            statements.append(
                self._edge(
                    s.namespace, "SUPERSEDES", f"Memory:{s.newer_id}", f"Memory:{s.older_id}", s.recorded_at.timestamp()
                )
            )
            statements.append(
                self._merge_node(
                    s.namespace,
                    "Memory",
                    s.older_id,
                    {"superseded_reason": {s.newer_id: s.reason}},
                )
            )
        await asyncio.to_thread(self._write, statements)

    async def superseded(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, Supersession]:
        def run() -> dict[str, Supersession]:
            bound = as_of.timestamp() if as_of is not None else float("inf")
            targets = [f"Memory:{m}" for m in dict.fromkeys(memory_ids)]
            latest: dict[str, tuple[float, str, str]] = {}
            for start in range(0, len(targets), 500):  # one query per 500 ids, as Recall asks for its pool
                chunk = targets[start : start + 500]
                for target, source, at, reasons in self._read(
                    "SELECT e.target, e.source, e.weight, json_extract(n.props, '$.superseded_reason') FROM edge e "
                    "INDEXED BY edge_target JOIN node n ON n.namespace = e.namespace AND n.label = 'Memory' "
                    "AND n.key = substr(e.target, 8) WHERE e.namespace = ? AND e.type = 'SUPERSEDES' "
                    f"AND e.target IN ({','.join('?' * len(chunk))}) AND e.weight <= ?",
                    (namespace, *chunk, bound),
                ):
                    older, newer = str(target).removeprefix("Memory:"), str(source).removeprefix("Memory:")
                    if older not in latest or float(str(at)) > latest[older][0]:
                        reason = str(json.loads(str(reasons or "{}")).get(newer, ""))
                        latest[older] = (float(str(at)), newer, reason)
            return {
                older: Supersession(
                    namespace=namespace,
                    newer_id=newer,
                    older_id=older,
                    reason=reason,
                    recorded_at=datetime.fromtimestamp(at, UTC),
                )
                for older, (at, newer, reason) in latest.items()
            }

        return await asyncio.to_thread(run)

    async def upsert_verdicts(self, verdicts: Sequence[Verdict]) -> None:
        statements = [
            self._merge_node(
                v.namespace,
                "Memory",
                v.memory_id,
                {"memory_id": v.memory_id, "verdicts": {v.verdict_id: v.model_dump(mode="json")}},
            )
            for v in verdicts
        ]
        await asyncio.to_thread(self._write, statements)

    async def verdicts(
        self, namespace: str, memory_ids: Sequence[str], as_of: datetime | None = None
    ) -> dict[str, Verdict]:
        def run() -> dict[str, Verdict]:
            wanted = list(dict.fromkeys(memory_ids))
            newest: dict[str, Verdict] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for key, raw in self._read(
                    "SELECT key, json_extract(props, '$.verdicts') FROM node WHERE namespace = ? "
                    f"AND label = 'Memory' AND key IN ({','.join('?' * len(chunk))}) "
                    "AND json_extract(props, '$.verdicts') IS NOT NULL",
                    (namespace, *chunk),
                ):
                    for body in json.loads(str(raw)).values():
                        verdict = Verdict.model_validate(body)
                        if as_of is not None and verdict.recorded_at > as_of:
                            continue
                        known = newest.get(str(key))
                        if known is None or verdict.recorded_at > known.recorded_at:
                            newest[str(key)] = verdict
            return newest

        return await asyncio.to_thread(run)

    async def count(self, namespace: str, label: Label) -> int:
        rows = await asyncio.to_thread(
            self._read, "SELECT COUNT(*) FROM node WHERE namespace = ? AND label = ?", (namespace, label)
        )
        return int(str(rows[0][0]))

    async def delete_namespace(self, namespace: str) -> int:
        def run() -> int:
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    cur.execute("DELETE FROM edge WHERE namespace = ?", (namespace,))
                    cur.execute("DELETE FROM node WHERE namespace = ?", (namespace,))
                    removed = cur.rowcount
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                return removed

        return await asyncio.to_thread(run)

    async def aclose(self) -> None:
        with self._lock:
            self._conn.close()
