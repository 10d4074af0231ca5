"""Every replica runs `ensure_schema` at start: on a database without the schema, all of them at once
must succeed and leave one schema (Neo4j refuses a concurrent twin rule as already existing)."""

import asyncio

import pytest
from neo4j import AsyncGraphDatabase
from somnia_graph_store import LABELS
from somnia_graph_store.neo4j.store import Neo4jGraphStore
from somnia_graph_store.testing import wait_for_neo4j

pytestmark = pytest.mark.integration


async def drop_schema(uri: str, user: str, password: str) -> None:
    async with AsyncGraphDatabase.driver(uri, auth=(user, password)) as driver:
        for kind, show in (("CONSTRAINT", "SHOW CONSTRAINTS"), ("INDEX", "SHOW INDEXES")):
            records, _, _ = await driver.execute_query(f"{show} YIELD name, type")
            for record in records:
                if record["type"] != "LOOKUP":  # the built-in token lookup indexes stay
                    await driver.execute_query(f"DROP {kind} {record['name']} IF EXISTS")


async def test_replicas_creating_the_schema_at_once_all_succeed(neo4j_server) -> None:  # type: ignore[no-untyped-def]
    server = neo4j_server
    first = Neo4jGraphStore(server.uri, user=server.user, password=server.password)
    await wait_for_neo4j(first)
    await drop_schema(server.uri, server.user, server.password)
    replicas = [Neo4jGraphStore(server.uri, user=server.user, password=server.password) for _ in range(8)]
    try:
        await asyncio.gather(*(replica.ensure_schema() for replica in replicas))
        async with AsyncGraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
            records, _, _ = await driver.execute_query("SHOW CONSTRAINTS YIELD name")
        assert {r["name"] for r in records} >= {f"{label.lower()}_uid" for label in LABELS}
    finally:
        for store in [first, *replicas]:
            await store.aclose()
