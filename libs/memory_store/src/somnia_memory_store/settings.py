"""Where memories live, from SOMNIA_STORE_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "somnia"


class MemoryStoreSettings(BaseSettings):
    """`embedded` (one SQLite file, the default) or `weaviate` (a Weaviate server or cluster)."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_STORE_", extra="ignore")

    kind: Literal["embedded", "weaviate"] = "embedded"
    candidates: int = Field(default=50, ge=1, description="per-retriever candidates before fusion")
    # embedded
    data_dir: Path = Field(default_factory=default_data_dir)
    inline_reads: bool = Field(
        default=False,
        description="embedded: run reads on the event loop's thread, not a worker thread; for a process of "
        "many small reads (recall, whose `somnia up` workers turn it on) the thread hop costs more than the read",
    )
    ann_threshold: int = Field(
        default=20_000,
        ge=0,
        description="rows in a namespace from which vector search goes through an HNSW graph; 0: always exact",
    )
    keyword_max_postings: int = Field(
        default=30_000,
        ge=0,
        description="BM25 in a bigger namespace keeps a query's rarest terms while their matches add up to "
        "at most this many rows; 0: every term",
    )
    ann_m: int = Field(default=32, ge=4, le=128, description="HNSW links per node")
    ann_ef_construction: int = Field(default=128, ge=8, le=2048, description="HNSW candidates while building")
    ann_ef_search: int = Field(default=512, ge=8, le=4096, description="HNSW candidates while searching")
    # weaviate
    weaviate_http_host: str = "127.0.0.1"
    weaviate_http_port: int = 8080
    weaviate_grpc_host: str = "127.0.0.1"
    weaviate_grpc_port: int = 50061
    weaviate_api_key: SecretStr = SecretStr("")
    weaviate_collection: str = Field(default="SomniaMemory", pattern=r"^[A-Z][A-Za-z0-9_]{0,99}$")
