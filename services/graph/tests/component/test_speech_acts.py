"""The speech-act reader (speech_acts.py) on wording nobody tuned for: sentences written apart from the
cues, the reader's training corpus and the benchmarks (data/unseen_speech_acts.json, the blind half of
one writer's sentences; the other half trained the reader). Together with the cues it must read most of
each kind, read clearly more than the cues alone, and take few plain turns for either, on the real
embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from somnia_embedder import Embedder
from somnia_graph.cues import retraction_of
from somnia_graph.speech_acts import ACTS, SpeechActReader, load_models, shipped_models

UNSEEN = json.loads((Path(__file__).parent / "data" / "unseen_speech_acts.json").read_text(encoding="utf-8"))
# Measured with all-MiniLM-L6-v2 (int8) at the default thresholds: the cues alone read 0.59 / 0.49 / 0.60
# of these, with the reader 0.81 / 0.89 / 0.82 (0.76 / 0.87 / 0.82 when every reading needed 0.9); 0.04 ->
# 0.07 of the plain turns (each a near miss in words).
REACH = {"topic": 0.72, "back": 0.82, "ended": 0.78}
GAIN = 0.12
PLAIN_READ = 0.08


def said(texts: list[str]) -> list[str]:
    return [f"Ravi: {text}" for text in texts]


async def read(embedder: Embedder, texts: list[str]) -> tuple[list[bool], list[bool]]:
    """For each text: read by the cues, and read by the cues or the reader."""
    reader = SpeechActReader(shipped_models())
    vectors = await embedder.embed(texts)
    cues = [retraction_of(text) is not None for text in texts]
    either = [
        cue or reader.retraction(text, np.asarray(vector), embedder.name) is not None
        for text, vector, cue in zip(texts, vectors, cues, strict=True)
    ]
    return cues, either


@pytest.mark.parametrize("act", sorted(REACH))
async def test_unseen_wording_is_read_and_the_reader_reads_what_the_cues_miss(act: str, embedder: Embedder) -> None:
    cues, either = await read(embedder, said(UNSEEN[act]))
    assert np.mean(either) >= REACH[act], f"{act}: {np.mean(either):.2f} read (cues {np.mean(cues):.2f})"
    assert np.mean(either) - np.mean(cues) >= GAIN


async def test_plain_turns_near_in_words_are_seldom_read(embedder: Embedder) -> None:
    _, either = await read(embedder, said(UNSEEN["negative"]))
    assert np.mean(either) <= PLAIN_READ


async def test_questions_long_stories_and_other_embedders_are_not_read(embedder: Embedder) -> None:
    reader = SpeechActReader(shipped_models())
    taken_back = "Ravi: My take on the Halvorsen support contract was off the mark, don't lean on it."
    question = "Ravi: Could my take on the Halvorsen support contract be off the mark?"
    story = (
        "Ravi: Last week was wild. I donated my old car to the shelter I volunteer at, then we had a long talk "
        "about how hard it is to stop, and I finally ended up staying for dinner with everyone there."
    )
    vectors = [np.asarray(v) for v in await embedder.embed([taken_back, question, story])]
    found = reader.retraction(taken_back, vectors[0], embedder.name)
    assert found is not None and "halvorsen" in found.topic
    assert reader.retraction(question, vectors[1], embedder.name) is None
    assert reader.retraction(story, vectors[2], embedder.name) is None
    assert reader.retraction(taken_back, vectors[0], "some-other-embedder") is None
    assert reader.act(vectors[0][:100], embedder.name) == ("none", 0.0)


async def test_a_withdrawing_word_needs_less_certainty_and_a_denied_act_or_a_name_none(embedder: Embedder) -> None:
    """ "a typo" withdraws; the reader is less than 0.9 sure of it, as sure as the withdrawing threshold needs.
    "I won't quit" denies the act it names, and "Stop" in "Old Mill Stop" is a name."""
    typo, denied, name = (
        "Ravi: Gym membership was a typo.",
        "Ravi: I won't quit the choir.",
        "Ravi: I get off at Old Mill Stop.",
    )
    vectors = [np.asarray(v) for v in await embedder.embed([typo, denied, name])]
    reader, strict = SpeechActReader(shipped_models()), SpeechActReader(shipped_models(), withdrawing_threshold=0.9)
    assert 0.7 <= reader.act(vectors[0], embedder.name)[1] < 0.9
    assert reader.retraction(typo, vectors[0], embedder.name) is not None
    assert strict.retraction(typo, vectors[0], embedder.name) is None
    assert reader.act(vectors[1], embedder.name)[1] >= 0.9
    assert reader.retraction(denied, vectors[1], embedder.name) is None
    assert reader.retraction(name, vectors[2], embedder.name) is None


def test_every_shipped_embedder_has_a_model() -> None:
    assert set(shipped_models()) == {"all-MiniLM-L6-v2-int8-onnx", "bge-small-en-v1.5-int8-onnx"}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"acts": ["none", "topic"], "weights": [[0.0, 0.0]], "bias": [0.0, 0.0]}, "retrain it"),
        ({"acts": list(ACTS), "weights": [[0.0] * 3], "bias": [0.0] * 4}, "has weights (1, 3)"),
    ],
)
def test_a_weights_file_that_does_not_fit_says_so(body: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        load_models(json.dumps({"m": body}))
