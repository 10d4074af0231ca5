"""The local cross-encoder on its real model, and the HTTP adapter against fake endpoints (httpx's
MockTransport answering in TEI's and Cohere's shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from somnia_reranker import RerankerError, RerankerSettings, create_reranker
from somnia_reranker.http_rerank import HttpReranker
from somnia_reranker.onnx_cross_encoder import OnnxCrossEncoder

QUESTION = "where does Caroline work?"
PASSAGES = [
    "Melanie: I painted a sunset by the lake yesterday.",
    "Caroline: I started at the animal shelter last month, I work there three days a week.",
    "Caroline: The weather was lovely on Sunday.",
]


@pytest.fixture(scope="module")
def cross_encoder() -> OnnxCrossEncoder:
    return OnnxCrossEncoder(threads=2)


async def test_the_cross_encoder_scores_the_answer_highest(cross_encoder: OnnxCrossEncoder) -> None:
    scores = await cross_encoder.score(QUESTION, PASSAGES)
    assert len(scores) == len(PASSAGES)
    assert max(range(len(scores)), key=scores.__getitem__) == 1
    assert scores[1] - max(scores[0], scores[2]) > 3.0  # logits: a clear margin, not a coin toss


async def test_the_cross_encoder_takes_no_passages_and_long_ones(cross_encoder: OnnxCrossEncoder) -> None:
    assert await cross_encoder.score(QUESTION, []) == []
    (score,) = await cross_encoder.score(QUESTION, ["Caroline works at the shelter. " + "filler " * 2000])
    assert isinstance(score, float)


async def test_pairs_scored_in_runs_come_back_in_the_passages_order(cross_encoder: OnnxCrossEncoder) -> None:
    # Twelve passages of many lengths, the answer the longest: they are scored shortest first, in
    # runs of BATCH, and each score must land on its own passage.
    fillers = [f"Melanie: {'we talked about the weather and the garden ' * n}".strip() for n in range(1, 12)]
    passages = [*fillers[:5], PASSAGES[1] + " It is the best job I have had.", *fillers[5:]]
    scores = await cross_encoder.score(QUESTION, passages)
    assert max(range(len(scores)), key=scores.__getitem__) == 5
    alone = [(await cross_encoder.score(QUESTION, [p]))[0] for p in passages]
    # int8 activations are scaled per run, so a pair's score moves a little with its run's company
    assert max(abs(a - b) for a, b in zip(scores, alone, strict=True)) < 0.75


def test_a_missing_model_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(RerankerError, match="SOMNIA_RERANKER_MODEL_PATH"):
        OnnxCrossEncoder(model_path=tmp_path / "nope.onnx", tokenizer_path=tmp_path / "nope.json")


def test_off_means_no_reranker_and_the_default_is_the_local_model() -> None:
    assert create_reranker(RerankerSettings(kind="off")) is None
    assert "ms-marco" in create_reranker(RerankerSettings()).name  # type: ignore[union-attr]


def fake_endpoint(answer: object, seen: list[dict[str, object]], status: int = 200) -> httpx.MockTransport:
    """A fake rerank server: records each request body and answers `answer`."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(
            {"path": request.url.path, "auth": request.headers.get("authorization"), **json.loads(request.content)}
        )
        return httpx.Response(status, json=answer)

    return httpx.MockTransport(handle)


async def test_tei_style_scores_come_back_in_the_passages_order() -> None:
    seen: list[dict[str, object]] = []
    answer = [{"index": 1, "score": 0.9}, {"index": 2, "score": 0.2}, {"index": 0, "score": 0.1}]
    reranker = HttpReranker(base_url="http://rerank.test", transport=fake_endpoint(answer, seen))
    assert await reranker.score(QUESTION, PASSAGES) == [0.1, 0.9, 0.2]
    assert seen[0]["path"] == "/rerank" and seen[0]["texts"] == PASSAGES and seen[0]["query"] == QUESTION
    await reranker.aclose()


async def test_cohere_style_sends_the_model_and_the_key() -> None:
    seen: list[dict[str, object]] = []
    answer = {
        "results": [
            {"index": 0, "relevance_score": 0.3},
            {"index": 2, "relevance_score": 0.5},
            {"index": 1, "relevance_score": 0.7},
        ]
    }
    reranker = HttpReranker(
        base_url="http://rerank.test/",
        style="cohere",
        model="rerank-v3",
        api_key="k1",
        transport=fake_endpoint(answer, seen),
    )
    assert await reranker.score(QUESTION, PASSAGES) == [0.3, 0.7, 0.5]
    assert seen[0]["path"] == "/v1/rerank" and seen[0]["model"] == "rerank-v3" and seen[0]["documents"] == PASSAGES
    assert seen[0]["auth"] == "Bearer k1" and seen[0]["top_n"] == 3
    await reranker.aclose()


@pytest.mark.parametrize(
    ("answer", "status", "says"),
    [
        ({"error": "overloaded"}, 503, "503"),
        ([{"index": 0, "score": 0.1}], 200, "no score for passages"),
        ([{"index": 7, "score": 0.1}], 200, "outside the 3 passages"),
        ({"unexpected": True}, 200, "results"),
    ],
)
async def test_a_bad_answer_is_a_reranker_error_that_says_why(answer: object, status: int, says: str) -> None:
    reranker = HttpReranker(base_url="http://rerank.test", transport=fake_endpoint(answer, [], status))
    with pytest.raises(RerankerError, match=says):
        await reranker.score(QUESTION, PASSAGES)
    await reranker.aclose()
