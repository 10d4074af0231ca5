"""The graph port on Neo4j (async driver): idempotent `UNWIND ... MERGE` batches, every query scoped by
namespace. Node identity is a `uid` property with a uniqueness constraint (Community edition has no
node keys): `<ns>|<session>` for sessions, `<ns>|<session>|<turn>` for turns, `<ns>|<memory>` for
memories, `<ns>|<kind>|<name>` for entities, tools, agents, feedback, patterns and communities.

The connection, its schema and the helpers every role shares; the roles are mixins over it."""

from __future__ import annotations

from typing import Any

from neo4j import (
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    NotificationDisabledClassification,
    NotificationMinimumSeverity,
)
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from somnia_graph_store.ports import LABELS, GraphStoreError, Label

SCHEMA = [
    *(
        f"CREATE CONSTRAINT {label.lower()}_uid IF NOT EXISTS FOR (n:{label}) REQUIRE n.uid IS UNIQUE"
        for label in LABELS
    ),
    *(f"CREATE INDEX {label.lower()}_namespace IF NOT EXISTS FOR (n:{label}) ON (n.namespace)" for label in LABELS),
    "CREATE INDEX turn_session_order IF NOT EXISTS FOR (n:Turn) ON (n.session_uid, n.sort_key)",
]


def _native(value: Any) -> Any:
    """neo4j.time values to datetime (the driver returns its own types)."""
    return value.to_native() if hasattr(value, "to_native") else value


def session_uid(namespace: str, session_id: str) -> str:
    return f"{namespace}|{session_id}"


def turn_uid(namespace: str, session_id: str, turn_id: str) -> str:
    return f"{namespace}|{session_id}|{turn_id}"


SCHEMA_ALREADY_THERE = frozenset(
    {
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
        "Neo.ClientError.Schema.ConstraintAlreadyExists",
        "Neo.ClientError.Schema.IndexAlreadyExists",
    }
)


class Neo4jGraphBase:
    def __init__(self, uri: str, *, user: str, password: str, database: str = "neo4j") -> None:
        # Warnings only: "already exists" notices from every replica's schema run would flood INFO logs.
        # And no "unrecognized" ones: on a new database every read names a relationship type or property
        # that nothing has written yet, and each such read would log a warning (seen in the containers).
        self._driver = AsyncGraphDatabase.driver(
            uri,
            auth=(user, password),
            notifications_min_severity=NotificationMinimumSeverity.WARNING,
            notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
        )
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
        """Safe when every replica runs it at once: `IF NOT EXISTS` still races inside Neo4j (two
        creations of one rule, one refused as already existing), and that refusal means it is there."""
        for statement in SCHEMA:
            try:
                await self._driver.execute_query(statement, database_=self._database)
            except Neo4jError as exc:
                if exc.code not in SCHEMA_ALREADY_THERE:
                    raise GraphStoreError(f"Neo4j at {self._uri} refused the schema: {exc}") from exc
            except ServiceUnavailable as exc:
                raise GraphStoreError(f"Neo4j at {self._uri} refused the schema: {exc}") from exc

    async def count(self, namespace: str, label: Label) -> int:
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}; use one of {LABELS}")
        rows = await self._read(f"MATCH (n:{label} {{namespace: $ns}}) RETURN count(n) AS n", ns=namespace)
        return int(rows[0]["n"])

    async def reachable(self) -> bool:
        try:
            await self._driver.verify_connectivity()
        except Exception:  # any failure to answer is "not reachable" to a readiness probe
            return False
        return True

    async def aclose(self) -> None:
        await self._driver.close()
