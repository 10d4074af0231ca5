"""The keyword index's words, made the way the embedded store's SQLite FTS5 makes them (unicode61
with diacritics removed, then Porter stems), for a backend that does not stem: Weaviate indexes these
as whitespace-separated terms, so BM25 sees the same words on both paths and ranks alike."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from somnia_memory_store.query_words import query_words

WORD = re.compile(r"[^\W_]+", re.UNICODE)
# FTS5's porter tokenizer leaves words shorter than 3 or longer than 64 bytes as they are.
STEMMED_BYTES = range(3, 65)
# Not thread-safe: used only on the event loop's thread (store writes and queries are built there).
_porter = snowballstemmer.stemmer("porter")


def _fold(text: str) -> str:
    """Lower case without diacritics ("Café" -> "cafe"), as unicode61's remove_diacritics does."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if len(word.encode()) not in STEMMED_BYTES:
        return word
    stem = str(_porter.stemWord(word))
    # FTS5 follows Porter's own C code, which departs from the paper Snowball follows in one rule:
    # "-logi" becomes "-log" when what precedes it has a measure above 0 ("criminology" -> "criminolog",
    # "biology" -> "biologi").
    return stem[:-1] if stem.endswith("logi") and _measure(stem[:-4]) > 0 else stem


def _measure(stem: str) -> int:
    """Porter's m: how many vowel-consonant sequences the stem has ([C](VC)^m[V])."""
    vowels: list[bool] = []
    for i, c in enumerate(stem):
        vowels.append(c in "aeiou" or (c == "y" and i > 0 and not vowels[i - 1]))
    return sum(1 for i in range(1, len(stem)) if vowels[i - 1] and not vowels[i])


def index_terms(text: str) -> str:
    """Every word of text, stemmed, in order (stop words too: they count toward a memory's length)."""
    return " ".join(_stem(w) for w in WORD.findall(_fold(text)))


def query_terms(query: str) -> str:
    """The query's meaningful words (query_words.py), stemmed, each stem once. FTS5's MATCH asks the
    same words; it would count two words with one stem twice, and match "o'brien" as a phrase."""
    stems = (_stem(w) for term in query_words(query) for w in WORD.findall(_fold(term)))
    return " ".join(dict.fromkeys(s for s in stems if s))
