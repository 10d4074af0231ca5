"""The content words of a text, lightly stemmed: how two statements are matched as being about the same
thing without a model ("near my flat" and "I moved flats" share `flat`). Stop words and pronouns carry
no topic, and the stemmer only folds the endings that English inflection adds, so it stays predictable."""

from __future__ import annotations

import re

from somnia_memory_store import STOP_WORDS as SEARCH_STOP_WORDS

# Hyphens split words: "on-call" is "on" and "call", as "on call" is.
WORD = re.compile(r"[a-z0-9][a-z0-9']*")
# The keyword search's stop words, and what conversation adds: contractions, fillers, "the part I said"
# ("quite" too: its stem would be "quit").
CONVERSATION_STOP_TEXT = """also anymore aren't bit can't cannot couldn't didn't doesn't don't either else even ever
every get gets getting go goes going gone got hadn't hasn't haven't he'd he'll he's i'd i'll i'm i've isn't
it's let's like mention mentioned mine much must oh ok okay one ought part quite really said say says
she'd she'll she's shouldn't since still stuff tell that's there's they'd they'll they're they've
thing things though told upon us wasn't we'd we'll we're we've well weren't what's whose won't
wouldn't yeah yes yet you'd you'll you're you've"""
STOP_WORDS = SEARCH_STOP_WORDS | frozenset(CONVERSATION_STOP_TEXT.split())
# Stems too common in conversation to say two statements are about the same thing on their own.
# Time words are as generic as "day" and "year": "the team lunch at the end of the month" is not about
# "I left the data team at the start of the month".
GENERIC_TEXT = """look lov happen way far wait tim good great hard feel mak get see know think want need try day year
ago week month today tonight hour minut
kid young com go thank nic lot littl big new old last next first really sur lik tak giv kep keep start
help fun awesom amaz cool glad happy excit lif peopl person someth anyth everyth work friend famil
tough easy hear shar talk chat fin proud inspir"""
# A stem keeps at most this many letters: "allergy" and "allergic", "responsible" and "responsibility"
# meet there, which suffix rules alone would not bring together.
STEM_LETTERS = 6


def stem(word: str) -> str:
    """'moved', 'moving', 'moves' -> 'mov'; 'plays' -> 'play'; 'allergic', 'allergy' -> 'allerg'."""
    word = word.strip("'-").removesuffix("'s")
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":  # "stopped" -> "stop"
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word[:STEM_LETTERS]


# As written, and as a text's words stem ("everything" is "everyt", "tonight" "tonigh": written as
# "everyth" and "tonight", they had never matched).
GENERIC = frozenset(GENERIC_TEXT.split()) | frozenset(stem(w) for w in GENERIC_TEXT.split())


# "Dana: ..." — the speaker a memory's text starts with (memory_text writes it so) is not what it is about.
SPEAKER = re.compile(r"^([A-Z][\w'-]*(?: [A-Z][\w'-]*)?): ")


def split_speaker(text: str) -> tuple[str, str]:
    """("Maya", "I ran the race") from "Maya: I ran the race"; ("", text) without a speaker."""
    found = SPEAKER.match(text)
    return (found[1], text[found.end() :]) if found else ("", text)


def content_keys(text: str) -> frozenset[str]:
    """The stems of the words that are not stop words in what `text` says (its speaker left out)."""
    said = split_speaker(text)[1].lower()
    return frozenset(stem(w) for w in WORD.findall(said) if w not in STOP_WORDS and len(w) > 1)


def shared(keys: frozenset[str], other: frozenset[str]) -> frozenset[str]:
    """The keys of `keys` that `other` has too, a stem matching any stem it starts or that starts it when
    the shorter has four letters or more ("rota" and "rotati" from "rotation")."""
    found = keys & other
    for key in keys - found:
        if any(
            (key.startswith(o) or o.startswith(key)) and min(len(key), len(o)) >= 4 for o in other if o[:2] == key[:2]
        ):
            found |= {key}
    return found


def telling(keys: frozenset[str]) -> frozenset[str]:
    """The keys that are not GENERIC: what a match must share to mean something."""
    return keys - GENERIC


def overlap(keys: frozenset[str], other: frozenset[str]) -> float:
    """The share of `keys` that `other` has too (0 when `keys` is empty)."""
    return len(shared(keys, other)) / len(keys) if keys else 0.0


NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][A-Za-z0-9'-]+)")
# Capitalised, but shared by statements about anything.
CALENDAR_TEXT = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december"
)
CALENDAR = frozenset(CALENDAR_TEXT.split())


def without_names(text: str) -> str:
    """`text` with the capitalised words that do not start a sentence blanked out: what it says, not what
    it names ("get off at Old Mill Stop" stops nothing)."""
    return NAME.sub(" ", text)


def proper_names(text: str) -> frozenset[str]:
    """Stems of the capitalised words that do not start a sentence (nor a "Speaker:" line): the names of
    people, places and things, which say two statements are about the same one better than topic words."""
    found = (n.lower() for n in NAME.findall(text))
    return frozenset(stem(n) for n in found if n not in STOP_WORDS and n not in CALENDAR)


CAPITALISED = re.compile(r"\b([A-Z][A-Za-z0-9'-]+)")


def capitalised_names(span: str) -> frozenset[str]:
    """Stems of every capitalised word of `span` that is not a stop word or a day or month: the names in a
    phrase cut out of a sentence ("running CI on CircleCI"), where no word starts a sentence."""
    found = (w.lower().removesuffix("'s") for w in CAPITALISED.findall(span))
    return frozenset(stem(w) for w in found if w not in STOP_WORDS and w not in CALENDAR)


def span_of(text: str, phrase: str) -> str:
    """`phrase` (found lowercased) as written in `text`, or "" when it is not there."""
    start = text.lower().find(phrase)
    return text[start : start + len(phrase)] if start >= 0 and phrase else ""
