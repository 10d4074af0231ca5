"""Which JetStream streams and KV buckets each service touches: the registry's events give most of it
(a service uses the stream of every event it publishes or consumes); the rest is listed here. NATS
permissions are made from this, so a service can reach nothing else, not even through the JetStream API.
"""

from __future__ import annotations

from somnia_contracts.registry import EVENT_KINDS
from somnia_contracts.subjects import (
    AUDIT_STREAM,
    CONTENT_STREAMS,
    DREAM_RUNS_BUCKET,
    FORGETTING_BUCKET,
)
from somnia_contracts.usage import USAGE_BUCKET

# Default bucket names (each is also a setting; permissions assume the defaults).
WARM_PACKS_BUCKET = "somnia_warm_packs"
# Erasure's record of what was forgotten, so a repeated request answers "already forgotten".
TOMBSTONES_BUCKET = "somnia_forgotten"
# The LoRA adapters dreaming trained, with the memories inside each (somnia_parametric's registry).
ADAPTERS_BUCKET = "somnia_adapters"

# Recall owns erasure: it reaches every stream that holds content, and writes the audit stream.
EXTRA_STREAMS: dict[str, tuple[str, ...]] = {
    "recall": tuple(s.name for s in (*CONTENT_STREAMS, AUDIT_STREAM)),
}
BUCKETS: dict[str, tuple[str, ...]] = {
    "capture": (USAGE_BUCKET,),
    "embedding": (USAGE_BUCKET,),
    "graph": (),
    "cache-warming": (WARM_PACKS_BUCKET,),
    "forgetting": (FORGETTING_BUCKET, ADAPTERS_BUCKET),
    "dreaming": (DREAM_RUNS_BUCKET, ADAPTERS_BUCKET),
    "recall": (
        WARM_PACKS_BUCKET,
        TOMBSTONES_BUCKET,
        DREAM_RUNS_BUCKET,
        FORGETTING_BUCKET,
        USAGE_BUCKET,
        ADAPTERS_BUCKET,
    ),
}
# Services that erase messages (MSG.DELETE, PURGE); the others may only add and read.
ERASERS = ("recall",)


def streams_used(service: str) -> tuple[str, ...]:
    used = {k.stream.name for k in EVENT_KINDS if service in k.published_by or service in k.consumed_by}
    return tuple(sorted(used | set(EXTRA_STREAMS.get(service, ()))))


def buckets_used(service: str) -> tuple[str, ...]:
    return BUCKETS.get(service, ())
