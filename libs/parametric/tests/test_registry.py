"""The adapter registry on a real nats-server (JetStream KV)."""

import asyncio
from datetime import UTC, datetime

import nats
import pytest
from somnia_parametric import AdapterRecord, AdapterRegistry, serving_manifest

pytestmark = pytest.mark.integration
NS = "acme/support/u1"


def adapter(adapter_id: str, version: int, memory_ids: tuple[str, ...], status: str = "live") -> AdapterRecord:
    now = datetime.now(UTC)
    return AdapterRecord.model_validate(
        {
            "namespace": NS,
            "adapter_id": adapter_id,
            "version": version,
            "base_model": "tiny-random",
            "dataset_version": "d" * 16,
            "memory_ids": memory_ids,
            "status": status,
            "artifact_uri": f"/adapters/{adapter_id}",
            "created_at": now,
            "updated_at": now,
        }
    )


async def test_erasing_a_memory_marks_only_the_adapters_holding_it_stale(nats_server) -> None:  # type: ignore[no-untyped-def]
    nc = await nats.connect(nats_server.url)
    try:
        registry = AdapterRegistry(nc.jetstream())
        await registry.open()
        await registry.put(adapter("a1", 1, ("m1", "m2"), status="retired"))
        await registry.put(adapter("a2", 2, ("m1", "m3")))
        await registry.put(adapter("a3", 3, ("m4",)))
        await registry.put(adapter("b1", 1, ("m1",)).model_copy(update={"namespace": "acme/support/u2"}))
        assert [r.adapter_id for r in await registry.adapters(NS)] == ["a3", "a2", "a1"]
        assert await registry.next_version(NS) == 4
        served = await registry.served(NS, ["a2", "a1", "nope"])
        assert served.memory_ids == {"m1", "m3"} and served.applied == ("a2",)

        changed = await registry.mark_stale(NS, ["m1"], "erased on request")
        assert [r.adapter_id for r in changed] == ["a2"]
        a2 = await registry.get(NS, "a2")
        assert a2 is not None and a2.status == "stale" and a2.stale_memory_ids == ("m1",)
        assert a2.stale_reason == "erased on request"
        assert (await registry.served(NS, ["a2"])).memory_ids == frozenset()
        other = await registry.get("acme/support/u2", "b1")
        assert other is not None and other.status == "live"
        assert await registry.mark_stale(NS, ["m1"], "again") == []

        manifest = serving_manifest(NS, await registry.adapters(NS))
        assert manifest["current"] == "a3" and [a["adapter_id"] for a in manifest["adapters"]] == ["a3"]  # type: ignore[index,union-attr]

        assert await registry.erase_namespace(NS) == 3
        assert await registry.adapters(NS) == []
    finally:
        await nc.close()


async def test_concurrent_updates_are_not_lost(nats_server) -> None:  # type: ignore[no-untyped-def]
    nc = await nats.connect(nats_server.url)
    try:
        registry = AdapterRegistry(nc.jetstream())
        await registry.open()
        await registry.put(adapter("a1", 1, ("m1",), status="training"))
        await asyncio.gather(
            registry.update(NS, "a1", metrics={"probe_accuracy_after": 1.0}),
            registry.mark_stale(NS, ["m1"], "retracted in conversation"),
        )
        record = await registry.get(NS, "a1")
        assert record is not None and record.status == "stale"
        assert record.metrics == {"probe_accuracy_after": 1.0}
        assert await registry.update(NS, "missing", status="live") is None
        # a training that finishes after the erasure does not bring the adapter back
        finished = await registry.update(NS, "a1", only_from=frozenset({"training"}), status="live")
        assert finished is not None and finished.status == "stale"
    finally:
        await nc.close()
