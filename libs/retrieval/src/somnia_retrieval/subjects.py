"""Whose fact is it: the people (and named things) a memory is about, read from its text, so that a
question about one person does not take another person's fact as its answer.

A memory is about its speaker (the "Name: " its text starts with, when the turn named one) and about
the names it mentions, other than the people speaking (whom a turn often addresses by name). A
question that names someone is answered from memory only if, among the top items, the ones that match
its topic best include one about that someone: when the best topic matches are all about others
("What did Tom realise after the race?" where only Maya ran it), the answer may be absent, however
close those memories are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from somnia_memory_model.words import CALENDAR, STOP_WORDS, content_keys, proper_names, stem

SPEAKER = re.compile(r"^([A-Z][\w'-]*(?: [A-Z][\w'-]*)?): ")
CAPITALISED = re.compile(r"\b([A-Z][a-zA-Z'-]+)")


def split_speaker(text: str) -> tuple[str, str]:
    """("Maya", "I ran the race") from "Maya: I ran the race"; ("", text) without a speaker."""
    found = SPEAKER.match(text)
    return (found[1], text[found.end() :]) if found else ("", text)


def speaker_stems(text: str) -> frozenset[str]:
    speaker = split_speaker(text)[0]
    return frozenset(stem(part.lower()) for part in speaker.split())


def subjects_of(text: str, speakers: frozenset[str] = frozenset()) -> frozenset[str]:
    """Stems of who and what a memory is about: its speaker, and the names in what was said other than
    `speakers` (the people of the conversation: "Thanks, Caroline!" said by Melanie is Melanie's)."""
    return speaker_stems(text) | (proper_names(split_speaker(text)[1]) - speakers)


def names_in_question(question: str) -> frozenset[str]:
    """Stems of the capitalised words of a question that are not question or stop words: a question
    often starts with the name it asks about ("Maya's brother lives where?")."""
    return frozenset(
        stem(word.lower().removesuffix("'s"))
        for word in CAPITALISED.findall(question)
        if word.lower().removesuffix("'s") not in STOP_WORDS and word.lower() not in CALENDAR
    )


def about_someone_else(question: str, texts: Sequence[str]) -> bool:
    """Whether the question names someone that the memories in `texts` (best first) do not answer for:
    no memory is about them at all, or the ones that match the question's topic best are all about
    others. Each memory is scored by the topic words it shares with the question (its names left out);
    the best score among those about a named one must reach the best among the others."""
    names = names_in_question(question)
    if not names:
        return False
    speakers = frozenset().union(*(speaker_stems(text) for text in texts))
    subjects = [subjects_of(text, speakers) for text in texts]
    if not names & frozenset().union(*subjects):
        return True  # nobody the question names is in what memory found
    topic = content_keys(question) - names
    own = other = 0
    for text, about in zip(texts, subjects, strict=True):
        shared = len(topic & content_keys(split_speaker(text)[1]))
        if names & about:
            own = max(own, shared)
        else:
            other = max(other, shared)
    return other > own
