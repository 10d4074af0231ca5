"""Which extractor finds entities, from SOMNIA_EXTRACTOR_* variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExtractorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_EXTRACTOR_", extra="ignore")

    # offline: YAKE + dateparser, in process. llm: an OpenAI-compatible chat endpoint, offline as fallback.
    kind: Literal["offline", "llm"] = "offline"
    max_keyphrases: int = Field(default=6, ge=1, le=50)
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_concurrency: int = Field(default=4, ge=1, le=64)
