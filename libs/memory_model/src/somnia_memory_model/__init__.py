"""What a memory is, once, for every service that ranks, dreams or forgets: its kinds, its strength (the
activation law, importance), how insights and negative memories read, and the words a memory is about
(words.py: content words, names, the speaker a text starts with)."""

from somnia_memory_model.insights import extractive_insight, headline_of, quote
from somnia_memory_model.kinds import DREAMT_KINDS, EPISODIC, NEGATIVE, MemoryKind
from somnia_memory_model.negative import (
    ABSENCE_PREFIX,
    checked_absent,
    excerpt,
    failed_attempt,
    failed_tool_call,
    misled_by,
)
from somnia_memory_model.settings import StrengthSettings
from somnia_memory_model.strength import ActivationLaw, importance
from somnia_memory_model.usage import UsageReporter
from somnia_memory_model.words import (
    CALENDAR,
    STOP_WORDS,
    capitalised_names,
    content_keys,
    overlap,
    proper_names,
    shared,
    span_of,
    split_speaker,
    stem,
    telling,
    without_names,
)
from somnia_memory_model.writer import EventAnnouncer, MemoryWriter

__all__ = [
    "ABSENCE_PREFIX",
    "CALENDAR",
    "DREAMT_KINDS",
    "EPISODIC",
    "NEGATIVE",
    "STOP_WORDS",
    "ActivationLaw",
    "EventAnnouncer",
    "MemoryKind",
    "MemoryWriter",
    "StrengthSettings",
    "UsageReporter",
    "capitalised_names",
    "checked_absent",
    "content_keys",
    "excerpt",
    "extractive_insight",
    "failed_attempt",
    "failed_tool_call",
    "headline_of",
    "importance",
    "misled_by",
    "overlap",
    "proper_names",
    "quote",
    "shared",
    "span_of",
    "split_speaker",
    "stem",
    "telling",
    "without_names",
]
