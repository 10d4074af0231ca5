"""Entities and time expressions in text, for the graph (MENTIONS) and for recall's entity expansion."""

from somnia_extraction.chat import ChatEndpoint
from somnia_extraction.factory import ExtractorConfigError, create_extractor
from somnia_extraction.llm import LlmExtractor
from somnia_extraction.models import Entity, EntityKind, Extraction, entity_key, time_entity
from somnia_extraction.offline import OfflineExtractor
from somnia_extraction.ports import Extractor
from somnia_extraction.settings import ExtractorSettings

__all__ = [
    "ChatEndpoint",
    "Entity",
    "EntityKind",
    "Extraction",
    "Extractor",
    "ExtractorConfigError",
    "ExtractorSettings",
    "LlmExtractor",
    "OfflineExtractor",
    "create_extractor",
    "entity_key",
    "time_entity",
]
