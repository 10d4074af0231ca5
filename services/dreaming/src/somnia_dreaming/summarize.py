"""How an insight is worded: extractive offline (a headline and quotes of its sources, each dated), or
abstractive from an OpenAI-compatible chat model when one is configured, falling back to extractive on
any failure so a dream run never depends on the model being up."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import httpx
from somnia_extraction import ChatEndpoint
from somnia_memory_model import extractive_insight, quote
from somnia_memory_store import MemoryRecord

log = logging.getLogger("somnia.dreaming")

PROMPT = """You consolidate an AI agent's long-term memory. Below is a finding and the memories it rests on.
Write 2-4 plain sentences stating what they show that holds beyond any single session: facts, preferences,
what worked and what failed. Name people, places, tools and dates as given. No preamble.

Finding: {headline}

Memories:
{quotes}"""


class Summarizer(Protocol):
    @property
    def name(self) -> str: ...

    async def summarize(self, headline: str, sources: Sequence[MemoryRecord]) -> str: ...

    async def aclose(self) -> None: ...


class ExtractiveSummarizer:
    def __init__(self, quote_chars: int = 220) -> None:
        self._chars = quote_chars

    @property
    def name(self) -> str:
        return "extractive"

    async def summarize(self, headline: str, sources: Sequence[MemoryRecord]) -> str:
        return extractive_insight(headline, sources, self._chars)

    async def aclose(self) -> None:
        return None


class AbstractiveSummarizer:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout_s: float = 60.0,
        fallback: ExtractiveSummarizer | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._chat = ChatEndpoint(
            base_url=base_url, model=model, api_key=api_key, timeout_s=timeout_s, transport=transport
        )
        self._fallback = fallback or ExtractiveSummarizer()

    @property
    def name(self) -> str:
        return f"llm:{self._chat.model}"

    async def summarize(self, headline: str, sources: Sequence[MemoryRecord]) -> str:
        quotes = "\n".join(quote(r, 600) for r in sources)
        try:
            content = (await self._chat.complete(PROMPT.format(headline=headline, quotes=quotes))).strip()
            if not content:
                raise ValueError("the model answered with nothing")
        except (httpx.HTTPError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("abstractive insight failed (%r); writing it extractively", exc)
            return await self._fallback.summarize(headline, sources)
        return f"{headline}\n{content}"

    async def aclose(self) -> None:
        await self._chat.aclose()
