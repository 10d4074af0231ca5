"""Build the configured extractor."""

from __future__ import annotations

from somnia_extraction.llm import LlmExtractor
from somnia_extraction.offline import OfflineExtractor
from somnia_extraction.ports import Extractor
from somnia_extraction.settings import ExtractorSettings


class ExtractorConfigError(ValueError):
    """Settings that cannot make an extractor; the message says which variable to set."""


def create_extractor(settings: ExtractorSettings) -> Extractor:
    offline = OfflineExtractor(max_keyphrases=settings.max_keyphrases)
    if settings.kind == "offline":
        return offline
    if not settings.llm_base_url or not settings.llm_model:
        raise ExtractorConfigError(
            "SOMNIA_EXTRACTOR_KIND=llm needs SOMNIA_EXTRACTOR_LLM_BASE_URL and SOMNIA_EXTRACTOR_LLM_MODEL"
        )
    return LlmExtractor(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        concurrency=settings.llm_concurrency,
        fallback=offline,
    )
