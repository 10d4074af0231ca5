"""Salience: how much a memory says that a later session may reach back to, from its text alone.

What people come back to are statements about themselves and their work: who they are, what they did,
what they plan, what they prefer, who owns what and which tool fails how. Reactions ("That's great!"),
greetings and short questions back are rarely needed again. So a memory scores by how much content it
carries (content words, capped) and whether it speaks in the first person or about someone or something
named; a short question scores lower. A statement anchored in time ("yesterday I...", "next week
we...") is an event or a plan, which later sessions ask after ("how did it go?", "when was that?"): it
scores higher. On a replay of real conversations, a turn with a time anchor was four times as likely as
the average turn to be reached back to later. No model, microseconds a memory; the filler list is
English, so other languages are scored by their word count alone.
"""

from __future__ import annotations

import re

# A transcript line often starts with its speaker ("Alice: ...", "Dr Bruno Alves: ..."): the label is
# not content. Only a name of one to three capitalised words counts, so "I decided X: ..." keeps its lead.
SPEAKER = re.compile(r"^\s*[A-Z][\w'-]*(?: [A-Z][\w'-]*){0,2}:\s+")
WORD = re.compile(r"[^\W\d_][\w'-]+", re.UNICODE)
FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|im|my|me|mine|myself|we|we're|we've|our|ours|us)\b", re.I)
# What a statement about someone or something named looks like: a capitalised word inside a clause
# ("... ask Ines about it", "the Porto flat"), or a `tool` in backquotes. Such a statement is knowledge
# about the people and things of the speaker's world, as worth keeping as one in the first person. A
# name that ends its clause is most often the person spoken to ("That's great, Mel!"): it does not count.
NAMED = re.compile(r"`[^`\s][^`]*`|(?<=[a-z0-9,;:] )[A-Z][\w'-]+(?= [\w(`])")
# Function words and conversational filler: carrying them is not carrying content.
_FILLER_WORDS = """
the a an and or but so to of in on at for with from by as into about than then there here
is are was were be been being am do does did have has had it its it's this that these those
you your you're yours he she they them his her their him i me my we our us
just really very too also yeah yes no not oh wow hey hi hello thanks thank great awesome cool nice
good love lol haha okay ok sure well what how why when who which would could should can will
"""
FILLER = frozenset(_FILLER_WORDS.split())
# Relative and explicit times: an event that happened, or a plan with a date. A deadline ("by Friday",
# "before the end of the month") and a promise still owed ("I promised Dana", "we still need to") are
# plans too: open threads a later session picks up.
DAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
TIME_ANCHOR = re.compile(
    r"\b(yesterday|today|tonight|tomorrow|ago|recently|weekend|"
    r"(last|this|next) (week|weekend|month|year|night|morning|summer|winter|spring|fall|autumn|time|sprint|quarter)|"
    rf"on {DAY}|(by|before|until) ({DAY}|tomorrow|tonight|the end of (the|this|next) \w+|next \w+)|"
    r"(promised|owe|still (need|have) to|deadline|due (on|by))|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2})\b",
    re.I,
)
CONTENT_CAP = 12
EVENT_BONUS = 0.3


def content_words(body: str) -> list[str]:
    """The words of `body` (speaker label already off) that carry content."""
    return [w for w in WORD.findall(body) if len(w) > 2 and w.lower() not in FILLER]


def salience(text: str) -> float:
    """0..1: content carried (up to CONTENT_CAP words), halved when not in the first person, halved
    again for a short question; an anchor in time adds EVENT_BONUS (scaled back into 0..1)."""
    body = SPEAKER.sub("", text, count=1).strip()
    words = content_words(body)
    score = min(len(words), CONTENT_CAP) / CONTENT_CAP
    if not FIRST_PERSON.search(body) and not NAMED.search(body):
        score *= 0.5
    if body.endswith("?") and len(words) < CONTENT_CAP // 2:
        score *= 0.5
    if TIME_ANCHOR.search(body):
        score += EVENT_BONUS
    return score / (1.0 + EVENT_BONUS)


def is_anchored(text: str) -> bool:
    """Whether the text places itself in time (an event or a dated plan)."""
    return TIME_ANCHOR.search(text) is not None
