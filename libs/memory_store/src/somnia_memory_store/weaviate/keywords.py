"""The keyword index's words, made the way the embedded store's SQLite FTS5 makes them (unicode61
with diacritics removed, then Porter stems), for a backend that does not stem: Weaviate indexes these
as whitespace-separated terms, so BM25 sees the same words on both paths and ranks alike."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from somnia_memory_store.embedded.fts_query import fts_terms

WORD = re.compile(r"[^\W_]+", re.UNICODE)
_porter = snowballstemmer.stemmer("porter")


def _fold(text: str) -> str:
    """Lower case without diacritics ("Café" -> "cafe"), as unicode61's remove_diacritics does."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_porter.stemWord(word))


def index_terms(text: str) -> str:
    """Every word of text, stemmed, in order (stop words too: they count toward a memory's length)."""
    return " ".join(_stem(w) for w in WORD.findall(_fold(text)))


def query_terms(query: str) -> str:
    """The query's meaningful words, stemmed, each once: what the embedded store's MATCH asks for."""
    stems = (_stem(w) for term in fts_terms(query) for w in WORD.findall(_fold(term)))
    return " ".join(dict.fromkeys(s for s in stems if s))
