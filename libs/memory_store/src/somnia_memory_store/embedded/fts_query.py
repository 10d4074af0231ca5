"""Turn free text into a safe FTS5 MATCH expression: quoted terms joined by OR.

Quoting makes every user word a literal (no FTS5 syntax injection); stop words are dropped because
they match nearly every row and only cost time while adding nothing to BM25.
"""

from __future__ import annotations

from somnia_memory_store.query_words import query_words


def fts_terms(text: str, max_terms: int = 32) -> list[str]:
    """The meaningful words of text, lower-cased, each once, in order (query_words.py)."""
    return query_words(text, max_terms)


def match_expression(terms: list[str]) -> str:
    """Quoted terms joined by OR ('' for none)."""
    return " OR ".join(f'"{t}"' for t in terms)


def to_fts_query(text: str, max_terms: int = 32) -> str:
    """An FTS5 expression matching rows that contain any meaningful word of text ('' if none)."""
    return match_expression(fts_terms(text, max_terms))
