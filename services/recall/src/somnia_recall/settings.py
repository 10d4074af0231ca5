"""recall's settings, from SOMNIA_RECALL_* variables (plus SOMNIA_RANKING_*, SOMNIA_WARM_*,
SOMNIA_EMBEDDER_*, SOMNIA_STORE_*, SOMNIA_GRAPH_*, SOMNIA_EXTRACTOR_* and SOMNIA_TOKENIZER_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from somnia_service_runtime import ServiceSettings


class RecallSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_RECALL_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=50052, ge=0, le=65535)
    default_k: int = Field(default=10, ge=1, le=100)
    max_k: int = Field(default=100, ge=1, le=1000)
    max_query_chars: int = Field(default=4096, ge=1)
    max_token_budget: int = Field(default=128_000, ge=1)
    # The graph (expansion, feedback, warm packs) and entity extraction of queries; off means plain
    # hybrid search with rerank.
    use_graph: bool = True
    # Publish `memory.recalled` for what Recall returns, so uses strengthen memories (base-level
    # activation). Benchmarks that must not change the store between queries turn it off.
    record_uses: bool = True
    # What a speaker took back in conversation is left out of default recall; with this on it is also
    # erased through the Forget path (a durable consumer of memory.withdrawn, named withdrawn_durable).
    erase_withdrawn: bool = False
    withdrawn_durable: str = "recall-withdrawn"
    shutdown_grace_s: float = Field(default=5.0, ge=0)
    # Calls in flight at once; more are refused with RESOURCE_EXHAUSTED (backpressure, not memory growth).
    max_concurrent_rpcs: int = Field(default=256, ge=1)
