"""The base model an adapter is trained on: `tiny-random` (a small Llama-shaped causal LM built from a
config with random weights, seeded: the mechanism, on any CPU, no download) or a local model directory
(a real model the trainer's image or a mounted volume holds; nothing is fetched from a hub)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from somnia_trainer.tokenizer import ByteTokenizer, PretrainedTokenizer, TextTokenizer

TINY = "tiny-random"
# Every linear layer of a Llama block: what the adapter may change.
LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class BaseModelError(ValueError):
    """The base model named cannot be loaded; the message says what to fix."""


@dataclass(frozen=True)
class BaseModel:
    model: Any
    tokenizer: TextTokenizer
    targets: list[str]  # the linear layers LoRA adapts
    # Trained in full beside the LoRA layers: the tiny model's random embeddings and head carry no
    # features a low-rank change could reuse (a real model's do, and keeps them frozen).
    full: list[str]


def load_base(name: str, seed: int) -> BaseModel:
    if name == TINY:
        tokenizer = ByteTokenizer()
        torch.manual_seed(seed)
        config = LlamaConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=128,
            intermediate_size=256,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4,
            max_position_embeddings=1024,
            pad_token_id=tokenizer.pad_id,
            eos_token_id=tokenizer.eos_id,
            bos_token_id=tokenizer.eos_id,
            tie_word_embeddings=False,
        )
        return BaseModel(LlamaForCausalLM(config), tokenizer, LLAMA_TARGETS, ["embed_tokens", "lm_head"])
    path = Path(name)
    if not (path / "config.json").is_file():
        raise BaseModelError(
            f"base model {name!r} is neither {TINY!r} nor a local model directory with a config.json; "
            "mount the model into the trainer (SOMNIA_PARAMETRIC_BASE_MODEL=/models/<name>)"
        )
    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, torch_dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    targets = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})
    return BaseModel(model, PretrainedTokenizer(tokenizer), [t for t in targets if t != "lm_head"], [])
