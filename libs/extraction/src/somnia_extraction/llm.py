"""Entities from any OpenAI-compatible chat endpoint (vLLM, Ollama, OpenAI), with the offline extractor
as the fallback for every text the model fails on, so enrichment never blocks or loses a write."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import httpx

from somnia_extraction.chat import ChatEndpoint
from somnia_extraction.models import Entity, Extraction, entity_key, time_entity
from somnia_extraction.offline import OfflineExtractor

log = logging.getLogger("somnia.extraction")

PROMPT = """Extract the entities of the text: people, places, organisations, products, tools and topics,
and every date or time it mentions resolved against the time it was said ({said_at}).
Answer with JSON only: {{"entities": [{{"name": "...", "kind": "name" or "topic"}}],
"dates": ["YYYY-MM-DD"]}}.

Text: {text}"""


class LlmExtractor:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout_s: float = 30.0,
        concurrency: int = 4,
        fallback: OfflineExtractor | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._chat = ChatEndpoint(
            base_url=base_url, model=model, api_key=api_key, timeout_s=timeout_s, transport=transport
        )
        self._limit = asyncio.Semaphore(concurrency)
        self._fallback = fallback or OfflineExtractor()

    @property
    def name(self) -> str:
        return f"llm:{self._chat.model}"

    async def extract(self, texts: Sequence[str], said_at: Sequence[datetime | None]) -> list[Extraction]:
        return list(
            await asyncio.gather(
                *(self._one(text, said_at[n] if n < len(said_at) else None) for n, text in enumerate(texts))
            )
        )

    async def _one(self, text: str, said_at: datetime | None) -> Extraction:
        if not text.strip():
            return Extraction()
        try:
            async with self._limit:
                return await self._ask(text, said_at)
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("LLM extraction failed (%r); using the offline extractor for this text", exc)
            (extraction,) = await self._fallback.extract([text], [said_at])
            return extraction

    async def _ask(self, text: str, said_at: datetime | None) -> Extraction:
        prompt = PROMPT.format(said_at=said_at.isoformat() if said_at else "unknown", text=text)
        return parse_answer(await self._chat.complete(prompt, json_object=True))

    async def aclose(self) -> None:
        await self._chat.aclose()


def parse_answer(content: str) -> Extraction:
    """The model's JSON as an extraction; ValueError when it is not the asked-for shape."""
    body: Any = json.loads(content.strip().removeprefix("```json").removesuffix("```"))
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    found: dict[str, Entity] = {}
    for item in body.get("entities", []):
        name = str(item["name"]).strip()
        key = entity_key(name)
        if len(key) >= 2 and key not in found:
            found[key] = Entity(key=key, name=name, kind="name" if item.get("kind") == "name" else "topic")
    for day in body.get("dates", []):
        entity = time_entity(datetime.combine(date.fromisoformat(str(day)[:10]), datetime.min.time()))
        found.setdefault(entity.key, entity)
    return Extraction(entities=tuple(found.values()))
