"""Keep the collector off what a service holds for its whole life.

A full garbage collection walks every container object the process holds; a service's libraries,
models and clients are about 150,000 of them. On the 2-core development machine each full collection
of recall took 75-100 ms, and one came every few warm pack builds: the whole tail of their latency
(build p90 152 ms against 74 ms with the heap frozen, 100,000 memories, docs/warm-pack.md).

So once the service has started, and again when lazily loaded parts (a model read on first use) are in
place, what is alive is collected and then frozen: moved to the permanent generation, which the
collector skips. Frozen objects are still freed when nothing refers to them. A reference cycle among
them is not: an object alive at a freeze (a request in flight, say) that later dies in a cycle stays.
That is a bounded, one-time cost of the two freezes, against a pause every few requests.
"""

from __future__ import annotations

import asyncio
import gc
import logging

log = logging.getLogger("somnia.service_runtime")


def freeze_heap() -> int:
    """Collect, then freeze every survivor; returns how many objects are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def freeze_after_start(settle_s: float) -> None:
    """Freeze now, and once more after `settle_s` (what the first requests loaded lazily)."""
    log.info("froze %d objects out of the garbage collector's reach", freeze_heap())
    await asyncio.sleep(settle_s)
    log.info("froze %d objects out of the garbage collector's reach", freeze_heap())
