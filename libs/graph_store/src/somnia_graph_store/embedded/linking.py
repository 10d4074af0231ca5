"""Embedded graph store: linking writes: sessions, turns, memories, mentions, tools, similarities, feedback."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence

from somnia_graph_store.embedded.base import SESSION_END, EmbeddedGraphBase, turn_key
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


def session_sort_key(turn: TurnNode) -> str:
    return f"{turn.session_id}\x1f{turn_sort_key(turn)}"


class EmbeddedLinking(EmbeddedGraphBase):
    @staticmethod
    def _ran(s: SessionNode) -> tuple[str, tuple[object, ...]]:
        """The agent RAN the session; the edge's weight is the session's start (0 while unknown, and a
        later upsert without one keeps it), so an agent's latest sessions are read from one index range."""
        return (
            "INSERT INTO edge(namespace, type, source, target, weight) VALUES (?, 'RAN', ?, ?, ?) "
            "ON CONFLICT(namespace, type, source, target) DO UPDATE SET "
            "weight = CASE WHEN excluded.weight = 0 THEN edge.weight ELSE excluded.weight END",
            (
                s.namespace,
                f"Agent:{s.agent}",
                f"Session:{s.session_id}",
                s.started_at.timestamp() if s.started_at else 0.0,
            ),
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
                statements.append(self._ran(s))
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
                self._merge_node(
                    m.namespace, "Memory", m.memory_id, m.model_dump(mode="json", exclude={"namespace", "quotes"})
                )
            )
            statements.append(self._edge(m.namespace, "PART_OF", f"Memory:{m.memory_id}", f"Turn:{key}"))
            for quoted in m.quotes:
                statements.append(self._edge(m.namespace, "QUOTES", f"Memory:{m.memory_id}", f"Memory:{quoted}"))
        await asyncio.to_thread(self._write, statements)
