"""How much a namespace stores, as the services that write memories last measured it.

The writers (embedding after each batch, erasure after each forget) count the namespace's memories in the
store and put the figure in the `somnia_usage` KV bucket; capture reads it to enforce storage quotas
without reaching into the store itself."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from somnia_contracts.subjects import namespace_key_prefix

USAGE_BUCKET = "somnia_usage"


class NamespaceUsage(BaseModel):
    namespace: str
    # Hot and archived memories together: both take space until they are forgotten.
    memories: int = Field(ge=0)
    measured_at: datetime


def usage_key(namespace: str) -> str:
    return f"{namespace_key_prefix(namespace)}.usage"
