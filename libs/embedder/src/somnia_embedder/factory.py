"""Build the configured embedder; adapters are imported only when chosen."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from somnia_embedder.names import BGE_SMALL_NAME, DIMENSION, MODEL_NAME
from somnia_embedder.ports import Embedder, Vectors
from somnia_embedder.settings import EmbedderSettings

OFFLINE = ("onnx-minilm", "onnx-bge-small")


class LazyEmbedder:
    """An offline model, loaded on the first `embed`: for a process that embeds rarely (dreaming waits
    for requests and embeds only the insights it writes), so it does not hold the model while idle.
    Its name and dimension are known without loading, so the store's embedder check still runs first."""

    def __init__(self, settings: EmbedderSettings) -> None:
        self._settings = settings
        self._inner: Embedder | None = None
        self._loading = asyncio.Lock()

    @property
    def name(self) -> str:
        return BGE_SMALL_NAME if self._settings.kind == "onnx-bge-small" else MODEL_NAME

    @property
    def dimension(self) -> int:
        return DIMENSION

    async def embed(self, texts: Sequence[str]) -> Vectors:
        async with self._loading:
            if self._inner is None:
                self._inner = await create_embedder(self._settings)
        return await self._inner.embed(texts)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


async def create_embedder(settings: EmbedderSettings, *, lazy: bool = False) -> Embedder:
    """`lazy` defers loading an offline model until it first embeds (an endpoint is asked at once: its
    dimension comes from there)."""
    if lazy and settings.kind in OFFLINE:
        return LazyEmbedder(settings)
    if settings.kind in OFFLINE:
        return create_offline_embedder(settings)
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


def create_offline_embedder(settings: EmbedderSettings) -> Embedder:
    """An offline model, loaded now (seconds of CPU: call it off the event loop where one serves)."""
    if settings.kind not in OFFLINE:
        raise ValueError(f"{settings.kind} is not an offline model; use create_embedder")
    from somnia_embedder.onnx_minilm import OnnxBgeSmallEmbedder, OnnxMiniLMEmbedder

    offline = OnnxBgeSmallEmbedder if settings.kind == "onnx-bge-small" else OnnxMiniLMEmbedder
    return offline(
        model_path=Path(settings.model_path) if settings.model_path else None,
        tokenizer_path=Path(settings.tokenizer_path) if settings.tokenizer_path else None,
        threads=settings.threads,
        max_tokens=settings.max_tokens,
        batch_size=settings.batch_size,
    )


def with_kind(settings: EmbedderSettings, kind: str) -> EmbedderSettings:
    """The same settings for another model: file overrides belong to the model they were set for."""
    if kind == settings.kind:
        return settings
    return settings.model_copy(update={"kind": kind, "model_path": "", "tokenizer_path": ""})
