"""Any OpenAI-compatible `/v1/embeddings` endpoint: TEI, vLLM, Ollama, OpenAI."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np

from somnia_embedder.ports import EmbedderError, Vectors


class OpenAICompatibleEmbedder:
    """Posts batches to `{base_url}/v1/embeddings` and normalises what comes back."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        dimension: int = 0,
        batch_size: int = 64,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )
        self._model = model
        self._dimension = dimension
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    @property
    def dimension(self) -> int:
        if not self._dimension:
            raise EmbedderError(
                f"dimension of {self.name} is not known yet: set SOMNIA_EMBEDDER_DIMENSION or embed once"
            )
        return self._dimension

    async def probe(self) -> None:
        """Learn the dimension with one request when settings did not give it."""
        if not self._dimension:
            await self.embed(["dimension probe"])

    async def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            rows.extend(await self._post(list(texts[start : start + self._batch_size])))
        if not rows:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = np.asarray(rows, dtype=np.float32)
        if self._dimension and vectors.shape[1] != self._dimension:
            raise EmbedderError(
                f"{self.name} returned {vectors.shape[1]}-dimensional vectors, expected {self._dimension}"
            )
        self._dimension = vectors.shape[1]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: Vectors = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
        return normalised

    async def _post(self, batch: list[str]) -> list[list[float]]:
        try:
            response = await self._client.post("/v1/embeddings", json={"model": self._model, "input": batch})
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda item: item["index"])
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise EmbedderError(f"embedding request to {self._client.base_url} failed: {exc}") from exc
        if len(data) != len(batch):
            raise EmbedderError(f"{self.name} returned {len(data)} vectors for {len(batch)} texts")
        return [item["embedding"] for item in data]

    async def aclose(self) -> None:
        await self._client.aclose()
