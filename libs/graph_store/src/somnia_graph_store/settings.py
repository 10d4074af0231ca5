"""Which graph store to use, from SOMNIA_GRAPH_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "somnia"


class GraphStoreSettings(BaseSettings):
    """`embedded` (SQLite, one machine) unless a Neo4j URI is configured."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_GRAPH_", extra="ignore")

    kind: Literal["embedded", "neo4j"] = "embedded"
    data_dir: Path = Field(default_factory=default_data_dir)
    inline_reads: bool = Field(
        default=False,
        description="embedded: run reads on the event loop's thread, not a worker thread; for a process of "
        "many small reads (recall, whose `somnia up` workers turn it on) the thread hop costs more than the read",
    )
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
