"""One OpenAI-compatible chat endpoint (vLLM, Ollama, OpenAI): a prompt in, the model's answer out.
Extraction and dreaming's abstractive insights both talk to it; each keeps its own fallback."""

from __future__ import annotations

import httpx


class ChatEndpoint:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )
        self.model = model

    async def complete(self, prompt: str, *, json_object: bool = False) -> str:
        """The answer's text; httpx.HTTPError, KeyError, IndexError or TypeError when there is none."""
        body: dict[str, object] = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "user", "content": prompt}],
        }
        if json_object:
            body["response_format"] = {"type": "json_object"}
        response = await self._client.post("/v1/chat/completions", json=body)
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"])

    async def aclose(self) -> None:
        await self._client.aclose()
