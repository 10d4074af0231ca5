"""One training run: read the dataset, measure the closed-book probes on the base model, train a LoRA
adapter on the chat records (loss on the answer only), measure the probes again, save the adapter.

The probes are phrased apart from the training questions (somnia_parametric.dataset), so `after` says
what the weights learned to answer, not what they copied. Two figures: exact match of the greedy
answer, and next-token accuracy over the answer's tokens (a tiny model moves this one first)."""

from __future__ import annotations

import json
import random
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model
from somnia_parametric import (
    RESULT_FILE,
    ChatRecord,
    DatasetManifest,
    Probe,
    TrainingResult,
    TrainingSettings,
    read_records,
)

from somnia_trainer.base_model import load_base
from somnia_trainer.tokenizer import TextTokenizer

IGNORE = -100
MAX_TOKENS = 768


def prompt_of(question: str) -> str:
    return f"User: {question}\nAssistant: "


@dataclass(frozen=True)
class Example:
    prompt: list[int]
    answer: list[int]


def encode(tokenizer: TextTokenizer, question: str, answer: str) -> Example:
    prompt = tokenizer.encode(prompt_of(question))
    return Example(prompt=prompt, answer=[*tokenizer.encode(answer), tokenizer.eos_id][: MAX_TOKENS - len(prompt)])


def batch_of(examples: Sequence[Example], pad_id: int) -> dict[str, torch.Tensor]:
    length = max(len(e.prompt) + len(e.answer) for e in examples)
    ids, labels, mask = [], [], []
    for e in examples:
        sequence = e.prompt + e.answer
        pad = length - len(sequence)
        ids.append(sequence + [pad_id] * pad)
        labels.append([IGNORE] * len(e.prompt) + e.answer + [IGNORE] * pad)
        mask.append([1] * len(sequence) + [0] * pad)
    return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}


def token_accuracy(model: Any, examples: Sequence[Example], pad_id: int, device: str) -> float:
    with torch.no_grad():
        return _token_accuracy(model, examples, pad_id, device)


def _token_accuracy(model: Any, examples: Sequence[Example], pad_id: int, device: str) -> float:
    right = total = 0
    for start in range(0, len(examples), 8):
        batch = {k: v.to(device) for k, v in batch_of(examples[start : start + 8], pad_id).items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        predicted, labels = logits[:, :-1].argmax(-1), batch["labels"][:, 1:]
        scored = labels != IGNORE
        right += int((predicted[scored] == labels[scored]).sum())
        total += int(scored.sum())
    return right / total if total else 0.0


def greedy(model: Any, prompt: list[int], limit: int, eos_id: int, device: str) -> list[int]:
    with torch.no_grad():
        return _greedy(model, prompt, limit, eos_id, device)


def _greedy(model: Any, prompt: list[int], limit: int, eos_id: int, device: str) -> list[int]:
    out: list[int] = []
    past = None
    step = torch.tensor([prompt], device=device)
    for _ in range(limit):
        result = model(input_ids=step, past_key_values=past, use_cache=True)
        past = result.past_key_values
        token = int(result.logits[0, -1].argmax())
        if token == eos_id:
            break
        out.append(token)
        step = torch.tensor([[token]], device=device)
    return out


def exact_match(model: Any, tokenizer: TextTokenizer, probes: Sequence[Probe], device: str) -> float:
    right = 0
    for probe in probes:
        example = encode(tokenizer, probe.question, probe.answer)
        said = tokenizer.decode(greedy(model, example.prompt, len(example.answer) + 2, tokenizer.eos_id, device))
        right += said.strip() == probe.answer.strip()
    return right / len(probes) if probes else 0.0


def train(
    dataset_dir: Path,
    out_dir: Path,
    settings: TrainingSettings,
    on_epoch: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    started = time.perf_counter()
    manifest = DatasetManifest.model_validate_json((dataset_dir / "manifest.json").read_text())
    records, probes = read_records(dataset_dir)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    random.seed(settings.seed)
    base = load_base(settings.base_model, settings.seed)
    tokenizer = base.tokenizer
    lora = LoraConfig(
        r=settings.lora_rank,
        lora_alpha=settings.lora_alpha,
        lora_dropout=0.0,
        target_modules=base.targets,
        modules_to_save=base.full or None,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(base.model, lora).to(device)
    train_set = [_record_example(tokenizer, r) for r in records]
    probe_set = [encode(tokenizer, p.question, p.answer) for p in probes]

    model.eval()
    before_tokens = token_accuracy(model, probe_set, tokenizer.pad_id, device)
    before_exact = exact_match(model, tokenizer, probes, device)

    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    loss_value = float("nan")
    for epoch in range(settings.epochs):
        order = list(train_set)
        random.shuffle(order)
        losses = []
        for start in range(0, len(order), 8):
            batch = {k: v.to(device) for k, v in batch_of(order[start : start + 8], tokenizer.pad_id).items()}
            loss = model(**batch).loss
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
            losses.append(float(loss.detach()))
        loss_value = sum(losses) / len(losses)
        if on_epoch is not None:
            on_epoch(epoch + 1, loss_value)

    model.eval()
    after_tokens = token_accuracy(model, probe_set, tokenizer.pad_id, device)
    after_exact = exact_match(model, tokenizer, probes, device)
    adapter_dir = out_dir / "adapter"
    model.save_pretrained(adapter_dir)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    metrics = {
        "probe_exact_before": round(before_exact, 4),
        "probe_exact_after": round(after_exact, 4),
        "probe_token_accuracy_before": round(before_tokens, 4),
        "probe_token_accuracy_after": round(after_tokens, 4),
        "train_loss": round(loss_value, 4),
        "records": float(len(records)),
        "probes": float(len(probes)),
        "trainable_parameters": float(trainable),
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if device == "cuda":
        metrics["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    result = TrainingResult(
        ok=True,
        dataset_version=manifest.version,
        base_model=settings.base_model,
        adapter_dir=str(adapter_dir),
        metrics=metrics,
    )
    (out_dir / RESULT_FILE).write_text(json.dumps(result.model_dump(), indent=2))
    return result


def _record_example(tokenizer: TextTokenizer, record: ChatRecord) -> Example:
    question = next(m["content"] for m in record.messages if m["role"] == "user")
    answer = next(m["content"] for m in record.messages if m["role"] == "assistant")
    return encode(tokenizer, question, answer)
