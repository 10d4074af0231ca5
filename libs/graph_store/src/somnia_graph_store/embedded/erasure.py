"""Embedded graph store: erasure: sessions, memories, a namespace, and the groups whose insight quotes them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from typing import Literal

from somnia_graph_store.embedded.base import SESSION_END, EmbeddedGraphBase

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
    "MADE_CURRENT",
    "QUOTES",
)


class EmbeddedErasure(EmbeddedGraphBase):
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

        return await asyncio.to_thread(self._transact, work)

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

        return await asyncio.to_thread(self._transact, work)

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

    async def scrub(self, namespace: str) -> None:
        """Deleted rows' pages were zeroed as they were freed (secure_delete); copying the WAL into the
        file and truncating it removes the old page images the WAL still holds."""

        def run() -> None:
            with self._lock:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

        await asyncio.to_thread(run)

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

    async def memories_quoting(self, namespace: str, memory_ids: Sequence[str]) -> list[str]:
        def run() -> list[str]:
            targets = [f"Memory:{m}" for m in dict.fromkeys(memory_ids)]
            with self._lock:
                found = self._sources_of(self._conn.cursor(), namespace, "QUOTES", targets)
            return sorted({s.removeprefix("Memory:") for s in found})

        return await asyncio.to_thread(run)
