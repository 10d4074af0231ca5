"""Builders for the graph contract tests (and any test that seeds a graph)."""

from datetime import UTC, datetime, timedelta

from somnia_graph_store.models import Mention, TurnNode

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def turn(ns: str, session: str, turn_id: str, minute: int) -> TurnNode:
    return TurnNode(
        namespace=ns, session_id=session, turn_id=turn_id, role="user", occurred_at=T0 + timedelta(minutes=minute)
    )


def mention(ns: str, session: str, turn_id: str, key: str) -> Mention:
    return Mention(namespace=ns, session_id=session, turn_id=turn_id, entity_key=key, name=key.title(), kind="name")
