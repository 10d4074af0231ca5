"""Keep BM25's cost bounded in a big namespace by leaving out the terms that match too many rows.

FTS5 scores every row a query matches (no early termination), about 0.6 µs a row: a name that appears
in 10 % of a million memories costs 60 ms on its own. Such a term has a low IDF and cannot single out
a handful of rows among a hundred thousand anyway, so a query keeps its rarest terms while their
matches add up to at most `max_postings`, and leaves the rest to vector search. A namespace with fewer
rows than that is never touched. A term's document count is cached for a while: counting is cheap
(a few ms per 100,000 matches) but not free, and it changes slowly.
"""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict

from somnia_memory_store.embedded.fts_query import match_expression

CACHE_SIZE = 50_000
CACHE_TTL_S = 600.0


class PostingBudget:
    def __init__(self, max_postings: int) -> None:
        self.max_postings = max_postings
        self._counts: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()

    def affordable(self, conn: sqlite3.Connection, table: str, rows: int, terms: list[str]) -> list[str]:
        """The terms worth scoring, in their original order (all of them in a small namespace)."""
        if not self.max_postings or rows <= self.max_postings or not terms:
            return terms
        by_count = sorted(terms, key=lambda term: self._count(conn, table, term))
        kept, total = set(), 0
        for term in by_count:
            total += self._count(conn, table, term)
            if total > self.max_postings:
                break
            kept.add(term)
        return [term for term in terms if term in kept]

    def _count(self, conn: sqlite3.Connection, table: str, term: str) -> int:
        key, now = (table, term), time.monotonic()
        cached = self._counts.get(key)
        if cached is not None and cached[1] > now:
            self._counts.move_to_end(key)
            return cached[0]
        (count,) = conn.execute(
            f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (match_expression([term]),)
        ).fetchone()
        self._counts[key] = (int(count), now + CACHE_TTL_S)
        if len(self._counts) > CACHE_SIZE:
            self._counts.popitem(last=False)
        return int(count)
