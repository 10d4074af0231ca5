"""What a memory is, once, for every service that ranks, dreams or forgets: its kinds, its strength (the
activation law, importance), and how insights and negative memories read."""

from somnia_memory_model.insights import extractive_insight, headline_of, quote
from somnia_memory_model.kinds import DREAMT_KINDS, EPISODIC, NEGATIVE, MemoryKind
from somnia_memory_model.negative import ABSENCE_PREFIX, excerpt
from somnia_memory_model.settings import StrengthSettings
from somnia_memory_model.strength import ActivationLaw, importance

__all__ = [
    "ABSENCE_PREFIX",
    "DREAMT_KINDS",
    "EPISODIC",
    "NEGATIVE",
    "ActivationLaw",
    "MemoryKind",
    "StrengthSettings",
    "excerpt",
    "extractive_insight",
    "headline_of",
    "importance",
    "quote",
]
