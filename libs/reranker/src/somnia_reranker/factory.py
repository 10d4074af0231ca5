"""Build the configured reranker; adapters are imported only when chosen."""

from __future__ import annotations

from pathlib import Path

from somnia_reranker.ports import Reranker
from somnia_reranker.settings import RerankerSettings


def create_reranker(settings: RerankerSettings) -> Reranker | None:
    """None when reranking is off."""
    if settings.kind == "off":
        return None
    if settings.kind == "onnx-ms-marco":
        from somnia_reranker.onnx_cross_encoder import OnnxCrossEncoder

        return OnnxCrossEncoder(
            model_path=Path(settings.model_path) if settings.model_path else None,
            tokenizer_path=Path(settings.tokenizer_path) if settings.tokenizer_path else None,
            threads=settings.threads,
            max_tokens=settings.max_tokens,
        )
    from somnia_reranker.http_rerank import HttpReranker

    return HttpReranker(
        base_url=settings.base_url,
        style=settings.style,
        model=settings.model,
        api_key=settings.api_key,
        timeout_s=settings.timeout_s,
    )
