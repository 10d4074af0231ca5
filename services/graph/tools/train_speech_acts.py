"""Train the speech-act reader (somnia_graph/speech_acts.py) for each embedder Somnia ships offline.

    HF_HUB_OFFLINE=1 .venv/bin/python services/graph/tools/train_speech_acts.py

Reads speech_acts_corpus.json beside this file (sentences a user says, by act; written apart from the
benchmarks' wording: never add a benchmark phrasing here), says each as a named speaker would be stored
("Ravi: ..."), embeds them, fits one softmax layer (class-balanced cross-entropy, L2, full-batch gradient
descent: deterministic), and writes the weights to the package's speech_acts.json. A few seconds a model.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from somnia_embedder import Embedder, EmbedderSettings, create_offline_embedder, with_kind
from somnia_graph.speech_acts import ACTS, WEIGHTS_FILE

HERE = Path(__file__).parent
CORPUS = HERE / "speech_acts_corpus.json"
OUT = HERE.parent / "src" / "somnia_graph" / WEIGHTS_FILE
SPEAKERS = ("Ravi", "Elena", "Jun", "Clara", "Mehmet", "Aino", "Kofi", "Sigrid")
STEPS, RATE, L2 = 4000, 2.0, 1e-4


def said(texts: list[str]) -> list[str]:
    return [f"{SPEAKERS[i % len(SPEAKERS)]}: {text}" for i, text in enumerate(texts)]


Matrix = npt.NDArray[np.float64]


def fit(x: npt.NDArray[np.float32], y: npt.NDArray[np.int64]) -> tuple[Matrix, Matrix]:
    classes = len(ACTS)
    target = np.eye(classes)[y]
    counts = np.bincount(y, minlength=classes)
    weight = (len(y) / (classes * counts))[y][:, None]  # every act counts as much as "none"
    w, b = np.zeros((x.shape[1], classes)), np.zeros(classes)
    for _ in range(STEPS):
        scores = x @ w + b
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - target) * weight
        w -= RATE * (x.T @ grad / len(y) + L2 * w)
        b -= RATE * grad.mean(axis=0)
    return w, b


async def train(embedder: Embedder, corpus: dict[str, list[str]]) -> dict[str, object]:
    texts = [text for act in ACTS for text in said(corpus[act])]
    y = np.concatenate([np.full(len(corpus[act]), i) for i, act in enumerate(ACTS)])
    x = np.asarray(await embedder.embed(texts), dtype=np.float32)
    w, b = fit(x, y)
    right = float(((x @ w + b).argmax(axis=1) == y).mean())
    print(f"{embedder.name}: {len(texts)} sentences, {right:.3f} read right in training")
    return {"acts": list(ACTS), "weights": np.round(w, 5).tolist(), "bias": np.round(b, 5).tolist()}


async def main() -> None:
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    missing = set(ACTS) - set(corpus)
    if missing:
        sys.exit(f"{CORPUS} has no sentences for {sorted(missing)}")
    models = {}
    for kind in ("onnx-minilm", "onnx-bge-small"):
        embedder = create_offline_embedder(with_kind(EmbedderSettings(), kind))
        models[embedder.name] = await train(embedder, corpus)
    OUT.write_text(json.dumps(models, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    asyncio.run(main())
