"""Where memories live, from SOMNIA_STORE_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "somnia"


class MemoryStoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_STORE_", extra="ignore")

    kind: Literal["embedded"] = "embedded"
    data_dir: Path = Field(default_factory=default_data_dir)
    candidates: int = Field(default=50, ge=1, description="per-retriever candidates before fusion")
