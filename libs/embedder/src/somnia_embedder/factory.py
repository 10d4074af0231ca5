"""Build the configured embedder; adapters are imported only when chosen."""

from __future__ import annotations

from pathlib import Path

from somnia_embedder.ports import Embedder
from somnia_embedder.settings import EmbedderSettings


async def create_embedder(settings: EmbedderSettings) -> Embedder:
    if settings.kind == "onnx-minilm":
        from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(
            model_path=Path(settings.model_path) if settings.model_path else None,
            tokenizer_path=Path(settings.tokenizer_path) if settings.tokenizer_path else None,
            threads=settings.threads,
            max_tokens=settings.max_tokens,
            batch_size=settings.batch_size,
        )
    from somnia_embedder.openai_http import OpenAICompatibleEmbedder

    embedder = OpenAICompatibleEmbedder(
        base_url=settings.base_url,
        model=settings.model,
        api_key=settings.api_key,
        dimension=settings.dimension,
        batch_size=settings.batch_size,
        timeout_s=settings.timeout_s,
    )
    await embedder.probe()
    return embedder
