"""Whether a memory says anything a question could be answered with.

Agents' transcripts are full of greetings and acknowledgements ("Hi! What's on your mind?", "Okay,
noted.", "Hello! Go ahead."): 44% of the turns of the generated negative-knowledge histories, 18 of
LoCoMo's 1,451 (1 of its 336 evidence turns: "Yeah, awesome! Glad to be part of it.").
A question's own preamble ("Hey, quick one:", "Can you check something?") or a vague question matches
them by words or by tone, and they filled the top ten above the facts. A memory with no telling word once
small talk is set aside says nothing.
"""

from __future__ import annotations

from functools import lru_cache

from somnia_memory_model import content_keys, stem, telling

# Greeting, acknowledgement and reaction words, beyond the stop words and the generic words that
# `telling` already sets aside. Written as words and stemmed as content_keys stems a text: a stem keeps
# at most six letters, so entries written as stems ("interest", "understood") never matched a text
# ("Interesting.", "Understood.") and such replies counted as content.
_SMALL_TALK_WORDS = """
hi hey hello bye okay ok sure yeah yep alright right indeed ha haha oh ah mm hmm wow cheers not noted
understood understand ahead again chat quick listen fair enough imagine sounds mind busy interesting
welcome totally absolutely letting
"""
SMALL_TALK = frozenset(stem(w) for w in _SMALL_TALK_WORDS.split())


@lru_cache(maxsize=65_536)
def says_little(text: str) -> bool:
    """No telling word once small talk is set aside ("I like tea" says something: tea)."""
    return not telling(content_keys(text)) - SMALL_TALK
