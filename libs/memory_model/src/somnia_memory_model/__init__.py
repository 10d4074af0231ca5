"""What a memory is, once, for every service that ranks, dreams or forgets: its kinds, its strength (the
activation law, importance), and how insights and negative memories read."""

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
from somnia_memory_model.writer import EventAnnouncer, MemoryWriter

__all__ = [
    "ABSENCE_PREFIX",
    "DREAMT_KINDS",
    "EPISODIC",
    "NEGATIVE",
    "ActivationLaw",
    "EventAnnouncer",
    "MemoryKind",
    "MemoryWriter",
    "StrengthSettings",
    "UsageReporter",
    "checked_absent",
    "excerpt",
    "extractive_insight",
    "failed_attempt",
    "failed_tool_call",
    "headline_of",
    "importance",
    "misled_by",
    "quote",
]
