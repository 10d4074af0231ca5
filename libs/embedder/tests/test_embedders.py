import json

import httpx
import numpy as np
import pytest
from somnia_embedder import EmbedderError, EmbedderSettings, create_embedder
from somnia_embedder.openai_http import OpenAICompatibleEmbedder


async def test_minilm_vectors_are_unit_length_and_384_wide(embedder) -> None:  # type: ignore[no-untyped-def]
    vectors = await embedder.embed(["a cat sat on the mat", "hello", ""])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)


async def test_minilm_puts_paraphrases_closer_than_unrelated_text(embedder) -> None:  # type: ignore[no-untyped-def]
    a, b, c = await embedder.embed(
        [
            "I adopted a golden retriever named Max.",
            "My dog is called Max.",
            "Quarterly revenue grew ten percent.",
        ]
    )
    assert float(a @ b) > 0.6 > 0.2 > float(a @ c)


async def test_minilm_batching_does_not_change_vectors(embedder) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "short",
        "a much longer sentence with many more words in it than the first one",
        "mid length text",
    ]
    together = await embedder.embed(texts)
    alone = np.vstack([await embedder.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


async def test_default_settings_choose_the_offline_minilm() -> None:
    chosen = await create_embedder(EmbedderSettings())
    assert chosen.name == "all-MiniLM-L6-v2-int8-onnx" and chosen.dimension == 384


def fake_endpoint(dimension: int) -> httpx.MockTransport:
    """A stand-in for a remote /v1/embeddings server (none can run here); it echoes the OpenAI shape."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.url.path == "/v1/embeddings" and body["model"] == "m"
        data = [
            {"index": i, "embedding": [float(len(t)), 1.0] + [0.0] * (dimension - 2)}
            for i, t in reversed(list(enumerate(body["input"])))
        ]
        return httpx.Response(200, json={"data": data})

    return httpx.MockTransport(handle)


async def test_openai_compatible_embedder_orders_normalises_and_learns_dimension() -> None:
    client = OpenAICompatibleEmbedder(base_url="http://embed.test", model="m", transport=fake_endpoint(4), batch_size=2)
    vectors = await client.embed(["a", "abc", "abcde"])
    assert client.dimension == 4 and client.name == "openai:m"
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[2][0] > vectors[1][0] > vectors[0][0]  # order follows "index", not arrival
    await client.aclose()


async def test_openai_compatible_embedder_refuses_a_surprise_dimension() -> None:
    client = OpenAICompatibleEmbedder(base_url="http://embed.test", model="m", dimension=8, transport=fake_endpoint(4))
    with pytest.raises(EmbedderError, match="expected 8"):
        await client.embed(["a"])


async def test_openai_compatible_embedder_reports_http_errors() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503, text="busy"))
    client = OpenAICompatibleEmbedder(base_url="http://embed.test", model="m", transport=transport)
    with pytest.raises(EmbedderError, match="failed"):
        await client.embed(["a"])


async def test_the_lazy_embedder_loads_the_model_on_first_use_and_embeds_the_same(embedder) -> None:  # type: ignore[no-untyped-def]
    from somnia_embedder import EmbedderSettings, create_embedder
    from somnia_embedder.factory import LazyEmbedder

    lazy = await create_embedder(EmbedderSettings(), lazy=True)
    assert isinstance(lazy, LazyEmbedder)
    assert (lazy.name, lazy.dimension) == (embedder.name, embedder.dimension)
    assert lazy._inner is None  # nothing loaded for the name and the dimension
    texts = ["the ferry was late", "my sister lives in Porto"]
    got, expected = await lazy.embed(texts), await embedder.embed(texts)
    assert lazy._inner is not None and abs(got - expected).max() < 1e-5
    await lazy.aclose()


async def test_bge_small_is_offline_unit_length_and_ranks_the_answer_first() -> None:
    bge = await create_embedder(EmbedderSettings(kind="onnx-bge-small", threads=2))
    assert bge.name == "bge-small-en-v1.5-int8-onnx" and bge.dimension == 384
    question, answer, other = await bge.embed(
        ["Where did Caroline move from?", "Caroline: I moved here from Sweden four years ago.", "The bus was late."]
    )
    assert np.allclose(np.linalg.norm([question, answer]), np.sqrt(2), atol=1e-4)
    assert float(question @ answer) > float(question @ other) + 0.1


async def test_a_lazy_embedder_knows_its_models_name_before_loading_it() -> None:
    lazy = await create_embedder(EmbedderSettings(kind="onnx-bge-small"), lazy=True)
    assert lazy.name == "bge-small-en-v1.5-int8-onnx" and lazy.dimension == 384
