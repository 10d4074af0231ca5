"""The offline extractor on real text, and the LLM extractor against a fake chat endpoint (no LLM runs here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from somnia_extraction import (
    ExtractorConfigError,
    ExtractorSettings,
    LlmExtractor,
    OfflineExtractor,
    create_extractor,
    entity_key,
)

SAID_AT = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)


async def test_offline_finds_names_and_topics_and_drops_greetings() -> None:
    (found,) = await OfflineExtractor().extract(
        ["Hey Caroline! I went to a LGBTQ support group in Boston and it was so powerful."], [SAID_AT]
    )
    keys = set(found.keys)
    assert "caroline" in keys
    assert any("lgbtq" in k for k in keys)
    assert not {"hey", "hey caroline"} & keys
    kinds = {e.key: e.kind for e in found.entities}
    assert kinds["caroline"] == "name"


async def test_offline_resolves_relative_days_against_the_time_said() -> None:
    (found,) = await OfflineExtractor().extract(["I went to the beach yesterday."], [SAID_AT])
    assert "date:2023-05-07" in found.keys


async def test_offline_does_not_take_the_verb_may_for_a_month() -> None:
    (found,) = await OfflineExtractor().extract(["I may paint a sunset later."], [SAID_AT])
    assert not [k for k in found.keys if k.startswith("date:")]


async def test_offline_handles_empty_text() -> None:
    assert (await OfflineExtractor().extract(["  "], [None]))[0].entities == ()


def test_entity_keys_merge_spellings() -> None:
    assert entity_key("  LGBTQ  Support-Group!! ") == entity_key("lgbtq support-group") == "lgbtq support-group"


def fake_chat(answer: str, status: int = 200) -> httpx.MockTransport:
    """A stand-in for an OpenAI-compatible chat endpoint: no LLM can run on this machine."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["messages"][0]["role"] == "user"
        return httpx.Response(status, json={"choices": [{"message": {"content": answer}}]})

    return httpx.MockTransport(handle)


async def test_llm_extractor_reads_the_model_answer() -> None:
    answer = json.dumps({"entities": [{"name": "Caroline", "kind": "name"}], "dates": ["2023-05-07"]})
    extractor = LlmExtractor(base_url="http://llm.test", model="m", transport=fake_chat(answer))
    (found,) = await extractor.extract(["I saw Caroline yesterday"], [SAID_AT])
    assert found.keys == ("caroline", "date:2023-05-07")
    await extractor.aclose()


@pytest.mark.parametrize(("answer", "status"), [("not json", 200), ("[]", 200), ("{}", 503)])
async def test_llm_extractor_falls_back_offline_when_the_model_fails(answer: str, status: int) -> None:
    extractor = LlmExtractor(base_url="http://llm.test", model="m", transport=fake_chat(answer, status))
    (found,) = await extractor.extract(["Caroline went to the LGBTQ support group"], [SAID_AT])
    assert "caroline" in found.keys
    await extractor.aclose()


def test_llm_settings_without_an_endpoint_say_what_to_set() -> None:
    with pytest.raises(ExtractorConfigError, match="SOMNIA_EXTRACTOR_LLM_BASE_URL"):
        create_extractor(ExtractorSettings(kind="llm"))
