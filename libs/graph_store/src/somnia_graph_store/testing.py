"""Builders for the graph contract tests (and any test that seeds a graph)."""

import asyncio
from datetime import UTC, datetime, timedelta

from somnia_graph_store.models import Mention, TurnNode
from somnia_graph_store.ports import GraphLifecycle

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def turn(ns: str, session: str, turn_id: str, minute: int) -> TurnNode:
    return TurnNode(
        namespace=ns, session_id=session, turn_id=turn_id, role="user", occurred_at=T0 + timedelta(minutes=minute)
    )


def mention(ns: str, session: str, turn_id: str, key: str) -> Mention:
    return Mention(namespace=ns, session_id=session, turn_id=turn_id, entity_key=key, name=key.title(), kind="name")


async def wait_for_neo4j(store: GraphLifecycle, timeout_s: float = 60.0) -> None:
    """Bolt accepts connections a little before the database serves queries."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await store.ensure_schema()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
