"""Open the configured store; adapters are imported only when chosen, so the embedded path never
imports the Weaviate client."""

from __future__ import annotations

from somnia_memory_store.ports import MemoryStore
from somnia_memory_store.settings import MemoryStoreSettings


def open_memory_store(settings: MemoryStoreSettings) -> MemoryStore:
    if settings.kind == "weaviate":
        from somnia_memory_store.weaviate.store import WeaviateMemoryStore

        return WeaviateMemoryStore(
            http_host=settings.weaviate_http_host,
            http_port=settings.weaviate_http_port,
            grpc_host=settings.weaviate_grpc_host,
            grpc_port=settings.weaviate_grpc_port,
            collection=settings.weaviate_collection,
            candidates=settings.candidates,
            api_key=settings.weaviate_api_key.get_secret_value(),
        )
    from somnia_memory_store.embedded.ann import AnnConfig
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore

    ann = AnnConfig(
        threshold=settings.ann_threshold,
        m=settings.ann_m,
        ef_construction=settings.ann_ef_construction,
        ef_search=settings.ann_ef_search,
    )
    return EmbeddedMemoryStore(
        settings.data_dir / "memories.sqlite3",
        candidates=settings.candidates,
        ann=ann,
        keyword_postings=settings.keyword_max_postings,
        inline_reads=settings.inline_reads,
    )
