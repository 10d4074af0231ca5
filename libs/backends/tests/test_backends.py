"""The backend providers themselves: native servers always, containers where Docker answers."""

import os
from pathlib import Path

import pytest
from somnia_backends.containers import ContainerNats, ContainerNeo4j, ContainerWeaviate, docker_unavailable_reason
from somnia_backends.weaviate import WeaviateServer


def test_weaviate_environment_is_loopback_keyed_and_module_free(tmp_path: Path) -> None:
    server = WeaviateServer(tmp_path)
    env = server.environment()
    assert env["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] == "false"
    assert env["AUTHENTICATION_APIKEY_ENABLED"] == "true"
    assert env["AUTHENTICATION_APIKEY_ALLOWED_KEYS"] == server.api_key and len(server.api_key) == 32
    assert env["DEFAULT_VECTORIZER_MODULE"] == "none" and env["ENABLE_MODULES"] == ""
    assert env["AUTOSCHEMA_ENABLED"] == "false"
    assert env["USE_INVERTED_SEARCHABLE"] == "false"  # BlockMax WAND lost most keyword matches
    assert env["CLUSTER_BIND_ADDR"] == "127.0.0.1"
    ports = [
        env[k]
        for k in (
            "GRPC_PORT",
            "CLUSTER_GOSSIP_BIND_PORT",
            "CLUSTER_DATA_BIND_PORT",
            "RAFT_PORT",
            "RAFT_INTERNAL_RPC_PORT",
        )
    ]
    assert len(set(ports)) == len(ports)  # nothing collides with itself or a default


@pytest.mark.integration
def test_native_servers_report_their_pinned_versions(weaviate_server, neo4j_server) -> None:  # type: ignore[no-untyped-def]
    assert weaviate_server.version() == "1.36.0"
    assert neo4j_server.version() == "5.26.30"


@pytest.mark.integration
def test_weaviate_refuses_clients_without_its_key(weaviate_server) -> None:  # type: ignore[no-untyped-def]
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{weaviate_server.url}/v1/meta", timeout=5)
    assert refused.value.code == 401


@pytest.mark.integration
def test_testcontainers_provider_serves_the_images_built_here() -> None:
    """Runs where SOMNIA_BACKENDS=containers asks for it (`make test` does, through podman's Docker API):
    each server from its own image answers a real request, and Weaviate refuses a caller without its key."""
    if os.environ.get("SOMNIA_BACKENDS") != "containers":
        pytest.skip("set SOMNIA_BACKENDS=containers to run the testcontainers provider")
    reason = docker_unavailable_reason()
    if reason:
        if os.environ.get("SOMNIA_REQUIRE_BACKENDS") == "1":
            pytest.fail(reason)
        pytest.skip(f"testcontainers provider skipped: {reason}")
    import asyncio
    import json
    import urllib.error
    import urllib.request

    import nats
    from neo4j import GraphDatabase

    nats_server, weaviate, neo4j = ContainerNats().start(), ContainerWeaviate().start(), ContainerNeo4j().start()
    try:

        async def jetstream_domain() -> int:
            client = await nats.connect(nats_server.url)
            try:
                return (await client.jetstream().account_info()).limits.max_streams
            finally:
                await client.close()

        assert asyncio.run(jetstream_domain()) == -1  # JetStream on, no stream limit
        meta = f"http://{weaviate.host}:{weaviate.http_port}/v1/meta"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(meta, timeout=5)
        assert refused.value.code == 401
        keyed = urllib.request.Request(meta, headers={"Authorization": f"Bearer {weaviate.api_key}"})
        with urllib.request.urlopen(keyed, timeout=5) as answer:
            assert json.load(answer)["version"] == weaviate.version() == "1.36.0"
        with GraphDatabase.driver(neo4j.uri, auth=(neo4j.user, neo4j.password)) as driver:
            records, _, _ = driver.execute_query("RETURN 40 + 2 AS answer")
            assert records[0]["answer"] == 42
    finally:
        for server in (nats_server, weaviate, neo4j):
            server.stop()
