"""Turn free text into a safe FTS5 MATCH expression: quoted terms joined by OR.

Quoting makes every user word a literal (no FTS5 syntax injection); stop words are dropped because
they match nearly every row and only cost time while adding nothing to BM25.
"""

from __future__ import annotations

import re

from somnia_memory_store.stop_words import STOP_WORDS

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)


def fts_terms(text: str, max_terms: int = 32) -> list[str]:
    """The meaningful words of text, lower-cased, each once, in order."""
    terms: list[str] = []
    for match in WORD.finditer(text.lower()):
        word = match.group(0).replace("\u2019", "'")
        word = word.split("'")[0] if word.endswith(("'s", "'t")) else word
        if word and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:max_terms]


def match_expression(terms: list[str]) -> str:
    """Quoted terms joined by OR ('' for none)."""
    return " OR ".join(f'"{t}"' for t in terms)


def to_fts_query(text: str, max_terms: int = 32) -> str:
    """An FTS5 expression matching rows that contain any meaningful word of text ('' if none)."""
    return match_expression(fts_terms(text, max_terms))
