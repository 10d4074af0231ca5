"""The Weaviate adapter's keyword terms are SQLite FTS5's own: every word of a varied text is checked
against the terms an FTS5 table with the embedded store's tokenizer writes."""

import sqlite3

from somnia_memory_store.embedded.store import FTS_TOKENIZER
from somnia_memory_store.weaviate.keywords import index_terms, query_terms

TEXTS = [
    "Caroline: I went to the LGBTQ support group yesterday and it was empowering!",
    "Melanie painted a sunrise; painting helps her relax. She's been running, too.",
    "The café in São Paulo serves crêpes, naïve as that sounds.",
    "We migrated CI to Buildkite; criminology, biology and astrology are my friends' studies.",
    "us os vs s it is as we go; a 65-letter word: " + "x" * 65,
    "Deploys failed twice: disk full, then the migration's lock timed out.",
]


def fts5_terms(text: str) -> set[str]:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{FTS_TOKENIZER}')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    db.execute("INSERT INTO t(x) VALUES (?)", (text,))
    return {row[0] for row in db.execute("SELECT term FROM v")}


def test_index_terms_are_the_terms_fts5_writes() -> None:
    for text in TEXTS:
        assert set(index_terms(text).split()) == fts5_terms(text), text


def test_query_terms_drop_stop_words_and_stem_once() -> None:
    assert query_terms("What did Melanie paint? Painting, painted!") == "melani paint"
    assert query_terms("What is Caroline's identity?") == "carolin ident"
    assert query_terms("the and of") == ""
