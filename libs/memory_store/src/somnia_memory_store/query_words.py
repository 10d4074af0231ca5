"""A keyword query's meaningful words, the same for every store's BM25: lower-cased, possessives and
negations cut at the apostrophe, stop words dropped (they match nearly every memory and only cost
time), each word once, in order."""

from __future__ import annotations

import re

from somnia_memory_store.stop_words import STOP_WORDS

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)
# "How do I get to work these days?" asks what holds now, not about days: as keywords these phrases match
# small talk ("Busy day so far") better than the answer.
NOW = re.compile(r"\b(?:these days|nowadays|at the moment|at present|right now|for now|just now)\b")


def query_words(text: str, max_terms: int = 32) -> list[str]:
    """The meaningful words of text, lower-cased, each once, in order."""
    terms: list[str] = []
    for match in WORD.finditer(NOW.sub(" ", text.lower())):
        word = match.group(0).replace("\u2019", "'")
        word = word.split("'")[0] if word.endswith(("'s", "'t")) else word
        if word and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:max_terms]
