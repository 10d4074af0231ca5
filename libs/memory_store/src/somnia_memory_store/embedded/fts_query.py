"""Turn free text into a safe FTS5 MATCH expression: quoted terms joined by OR.

Quoting makes every user word a literal (no FTS5 syntax injection); stop words are dropped because
they match nearly every row and only cost time while adding nothing to BM25.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves""".split()
)


def to_fts_query(text: str, max_terms: int = 32) -> str:
    """An FTS5 expression matching rows that contain any meaningful word of text ('' if none)."""
    terms: list[str] = []
    for match in WORD.finditer(text.lower()):
        word = match.group(0).replace("’", "'")
        word = word.split("'")[0] if word.endswith(("'s", "'t")) else word
        if word and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return " OR ".join(f'"{t}"' for t in terms[:max_terms])
