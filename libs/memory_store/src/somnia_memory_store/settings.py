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
    # weaviate
    weaviate_http_host: str = "127.0.0.1"
    weaviate_http_port: int = 8080
    weaviate_grpc_host: str = "127.0.0.1"
    weaviate_grpc_port: int = 50061
    weaviate_api_key: SecretStr = SecretStr("")
    weaviate_collection: str = Field(default="SomniaMemory", pattern=r"^[A-Z][A-Za-z0-9_]{0,99}$")
