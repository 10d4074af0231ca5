"""Embedded graph store: dreaming's store: session digests, patterns and communities."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime

from somnia_graph_store.embedded.base import SESSION_END, EmbeddedGraphBase, turn_key
from somnia_graph_store.models import (
    CommunityKind,
    CommunityNode,
    PatternNode,
    SessionDigest,
    SessionPage,
    TurnDigest,
)


class EmbeddedDreamStore(EmbeddedGraphBase):
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
