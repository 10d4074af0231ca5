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

from somnia_memory_model import CALENDAR, STOP_WORDS, content_keys, split_speaker, stem

CAPITALISED = re.compile(r"\b([A-Z][a-zA-Z'-]+)")


def speaker_stems(text: str) -> frozenset[str]:
    speaker = split_speaker(text)[0]
    return frozenset(stem(part.lower()) for part in speaker.split())


def subjects_of(text: str, speakers: frozenset[str] = frozenset()) -> frozenset[str]:
    """Stems of who and what a memory is about: its speaker, and the capitalised words of what was said
    other than `speakers` (the people of the conversation: "Thanks, Caroline!" said by Melanie is
    Melanie's). A sentence may start with the name ("Lukas owns the fork"), so every capitalised word
    counts; the question's side decides which of them are names."""
    said = split_speaker(text)[1]
    capitalised = {stem(w.lower().removesuffix("'s")) for w in CAPITALISED.findall(said)}
    return speaker_stems(text) | frozenset(capitalised - speakers)


def names_in_question(question: str, known: frozenset[str] = frozenset()) -> frozenset[str]:
    """Stems of the capitalised words of a question that are not stop words. One that starts a sentence
    ("Hey, ...", "Maya's brother lives where?") counts only if it is among the `known` names."""
    names: set[str] = set()
    for found in CAPITALISED.finditer(question):
        word = found[1].lower().removesuffix("'s")
        if word in STOP_WORDS or word in CALENDAR:
            continue
        name = stem(word)
        starts = not question[: found.start()].strip() or question[: found.start()].rstrip()[-1] in ".?!:,"
        if not starts or name in known:
            names.add(name)
    return frozenset(names)


def about_someone_else(question: str, texts: Sequence[str]) -> bool:
    """Whether the question names someone that the memories in `texts` (best first) do not answer for:
    no memory is about them at all, or the ones that match the question's topic best are all about
    others. Each memory is scored by the topic words it shares with the question (its names left out);
    the best score among those about a named one must reach the best among the others."""
    speakers = frozenset().union(*(speaker_stems(text) for text in texts))
    subjects = [subjects_of(text, speakers) for text in texts]
    names = names_in_question(question, speakers | frozenset().union(*subjects))
    if not names:
        return False
    known = names & frozenset().union(*subjects)
    if not known:
        return True  # nobody the question names is in what memory found
    names = known  # a capitalised word memory never saw ("Quick Q") is not who the question is about
    topic = content_keys(question) - names
    own = other = 0
    for text, about in zip(texts, subjects, strict=True):
        shared = len(topic & content_keys(text))
        if names & about:
            own = max(own, shared)
        else:
            other = max(other, shared)
    return other > own
