"""Any HTTP rerank endpoint: TEI's `/rerank`, or the Cohere-style `/v1/rerank` that Cohere, Jina,
Voyage and vLLM accept."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import httpx

from somnia_reranker.ports import RerankerError

Style = Literal["tei", "cohere"]


class HttpReranker:
    """Posts the query and the passages at once and reads one score per passage back."""

    def __init__(
        self,
        *,
        base_url: str,
        style: Style = "tei",
        model: str = "",
        api_key: str = "",
        timeout_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )
        self._style = style
        self._model = model

    @property
    def local(self) -> bool:
        return False  # scores on the endpoint's machine

    @property
    def name(self) -> str:
        return f"http-{self._style}:{self._model or self._client.base_url}"

    async def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        texts = list(passages)
        if self._style == "tei":
            path, body = "/rerank", {"query": query, "texts": texts, "raw_scores": True}
        else:
            path, body = "/v1/rerank", {"model": self._model, "query": query, "documents": texts, "top_n": len(texts)}
        try:
            response = await self._client.post(path, json=body)
            response.raise_for_status()
            return _scores(response.json(), len(texts))
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise RerankerError(f"rerank request to {self._client.base_url}{path} failed: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


def _scores(payload: Any, count: int) -> list[float]:
    """TEI answers a list of {index, score}; Cohere-style endpoints {results: [{index, relevance_score}]}."""
    items = payload["results"] if isinstance(payload, dict) else payload
    scores: list[float | None] = [None] * count
    for item in items:
        index = int(item["index"])
        if not 0 <= index < count:
            raise ValueError(f"index {index} is outside the {count} passages sent")
        value = float(item["relevance_score"] if "relevance_score" in item else item["score"])
        if not math.isfinite(value):
            raise ValueError(f"score {value} for passage {index} is not a number")
        scores[index] = value
    missing = [i for i, s in enumerate(scores) if s is None]
    if missing:
        raise ValueError(f"no score for passages {missing[:5]}")
    return [s for s in scores if s is not None]
