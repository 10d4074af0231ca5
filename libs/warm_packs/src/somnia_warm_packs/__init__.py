"""The warm pack as stored: its model, and the NATS KV bucket that cache-warming fills and recall reads
(and erasure purges)."""

from somnia_warm_packs.models import LayerName, PackItem, PackLayer, WarmPack
from somnia_warm_packs.store import WarmPackStore, pack_key

__all__ = ["LayerName", "PackItem", "PackLayer", "WarmPack", "WarmPackStore", "pack_key"]
