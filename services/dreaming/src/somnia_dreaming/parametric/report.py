"""What `somnia dream --explain` and `somnia adapters` print, as JSON lines the CLI draws as tables."""

from __future__ import annotations

from typing import Any

from somnia_bus import close_broker, create_broker
from somnia_parametric import AdapterRegistry, serving_manifest
from somnia_stores import Stores
from somnia_tokens import TokenizerSettings, create_token_counter

from somnia_dreaming.models import DreamWindow
from somnia_dreaming.parametric.launchers import NoLauncher
from somnia_dreaming.parametric.promote import ParametricSettings, Promoter


async def explain_lines(window: DreamWindow) -> list[dict[str, Any]]:
    stores = await Stores.open(lazy_embedder=True)  # explaining embeds nothing
    try:
        promoter = Promoter(
            stores.store,
            stores.graph,
            create_token_counter(TokenizerSettings()),
            NoLauncher(),
            ParametricSettings.from_env(),
        )
        explained = await promoter.explain(window)
    finally:
        await stores.aclose()
    lines: list[dict[str, Any]] = []
    for d in explained.batch.decisions:
        c = d.candidate
        lines.append(
            {
                "event": "candidate",
                "namespace": window.namespace,
                "memory_id": c.memory_id,
                "kind": c.kind,
                "topic": c.topic or " ".join(c.text.split()[:8]),
                "promoted": d.promoted and c.memory_id in explained.batch.promoted,
                "passes": d.promoted,
                "value": round(d.value, 6),
                "checks": [check.model_dump() for check in d.checks],
            }
        )
    batch = explained.batch
    lines.append(
        {
            "event": "batch",
            "namespace": window.namespace,
            "candidates": len(batch.decisions),
            "passing": sum(1 for d in batch.decisions if d.promoted),
            "promoted": len(batch.promoted),
            "train": batch.train,
            "savings": round(batch.savings, 6),
            "cost": round(batch.cost, 6),
            "reason": batch.reason,
            "sessions": explained.candidates.sessions,
            "sessions_per_day": round(explained.candidates.sessions_per_day, 3),
        }
    )
    return lines


async def adapter_lines(namespace: str, nats_url: str, *, serving: bool) -> list[dict[str, Any]]:
    broker = create_broker(nats_url, name="dreaming-adapters")
    await broker.connect()
    try:
        registry = AdapterRegistry(broker.connection.jetstream())
        await registry.open()
        records = await registry.adapters(namespace)
    finally:
        await close_broker(broker)
    if serving:
        return [{"event": "serving", **serving_manifest(namespace, records)}]
    return [
        {
            "event": "adapter",
            **r.model_dump(mode="json", exclude={"memory_ids", "stale_memory_ids"}),
            "memories": len(r.memory_ids),
            "stale_memories": list(r.stale_memory_ids),
        }
        for r in records
    ]
