"""The offline extractor: YAKE keyphrases for names and topics, dateparser for time expressions.

No model download and no LLM: it runs on the ingest path at a few milliseconds a turn. YAKE scores
phrases by statistics of the text itself (position, case, frequency), so it keeps proper names and
rare topic phrases and drops filler; dateparser resolves "yesterday" or "last Friday" against the time
the text was said, so two memories about the same day meet in the graph.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime

import yake
from dateparser.search import search_dates

from somnia_extraction.models import Entity, EntityKind, Extraction, entity_key, time_entity

# Words YAKE keeps that name nothing: greetings and fillers of conversation.
FILLERS = frozenset(
    {
        "hey",
        "hi",
        "hello",
        "hiya",
        "yo",
        "thanks",
        "thank",
        "thx",
        "wow",
        "oh",
        "ah",
        "yeah",
        "yes",
        "yep",
        "no",
        "nope",
        "ok",
        "okay",
        "sure",
        "lol",
        "haha",
        "hmm",
        "great",
        "good",
        "nice",
        "cool",
        "awesome",
        "amazing",
        "glad",
        "sorry",
        "please",
        "really",
        "totally",
        "absolutely",
        "definitely",
    }
)
# dateparser is only asked about texts with a time word: it costs milliseconds and guesses at anything.
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = r"(?:january|february|april|june|july|august|september|october|november|december|(?-i:May|March))"
TIME_WORDS = re.compile(
    rf"\b(?:yesterday|today|tonight|tomorrow|{_WEEKDAY}|{_MONTH}"
    rf"|(?:last|next|this|past) (?:week|weekend|month|year|night|summer|winter|spring|fall|autumn|{_WEEKDAY})"
    r"|(?:\d+|an?|one|two|three|four|five|six|few|couple of) (?:days?|weeks?|months?|years?) ago"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:19|20)\d{2})\b",
    re.IGNORECASE,
)
# "may" and "march" are verbs far more often than months in lower case.
AMBIGUOUS_MONTHS = re.compile(r"^(may|march)$")
MIN_KEY_CHARS = 3


def _strip_fillers(phrase: str) -> str:
    words = phrase.split()
    while words and words[0].lower() in FILLERS:
        words.pop(0)
    while words and words[-1].lower() in FILLERS:
        words.pop()
    return " ".join(words)


class OfflineExtractor:
    """Entities are the top `max_keyphrases` YAKE phrases of up to `max_words` words; a phrase whose
    every word is capitalised is a name, others are topics."""

    def __init__(self, *, max_keyphrases: int = 6, max_words: int = 3, times: bool = True) -> None:
        self._yake = yake.KeywordExtractor(lan="en", n=max_words, dedupLim=0.9, top=max_keyphrases)
        self._times = times

    @property
    def name(self) -> str:
        return "offline:yake+dateparser"

    async def extract(self, texts: Sequence[str], said_at: Sequence[datetime | None]) -> list[Extraction]:
        return await asyncio.to_thread(self.extract_sync, texts, said_at)

    def extract_sync(self, texts: Sequence[str], said_at: Sequence[datetime | None]) -> list[Extraction]:
        return [self._one(text, said_at[n] if n < len(said_at) else None) for n, text in enumerate(texts)]

    def _one(self, text: str, said_at: datetime | None) -> Extraction:
        found: dict[str, Entity] = {}
        if text.strip():
            for phrase, _score in self._yake.extract_keywords(text):
                cleaned = _strip_fillers(phrase)
                key = entity_key(cleaned)
                if len(key) < MIN_KEY_CHARS or key in found or key.isdigit():
                    continue
                kind: EntityKind = "name" if all(w[:1].isupper() for w in cleaned.split()) else "topic"
                found[key] = Entity(key=key, name=cleaned, kind=kind)
            if self._times:
                for entity in self._times_in(text, said_at):
                    found.setdefault(entity.key, entity)
        return Extraction(entities=tuple(found.values()))

    @staticmethod
    def _times_in(text: str, said_at: datetime | None) -> list[Entity]:
        if not TIME_WORDS.search(text):
            return []
        base = (said_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
        with warnings.catch_warnings():
            # dateparser warns about its own use of deprecated datetime parsing on some inputs.
            warnings.simplefilter("ignore")
            matches = search_dates(text, languages=["en"], settings=settings) or []
        entities = []
        for said, resolved in matches:
            said = said.strip()
            if not TIME_WORDS.search(said) or AMBIGUOUS_MONTHS.match(said):
                continue
            entities.append(time_entity(resolved))
        return entities

    async def aclose(self) -> None:
        return None
