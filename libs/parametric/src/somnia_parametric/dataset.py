"""Promoted memories become a versioned training dataset: chat-format records (several phrasings of a
question whose answer is the memory, each record naming its memory id), and held-out closed-book probes
phrased differently, so the trainer can measure what the weights learned rather than what they copied.

A dataset is a directory `<root>/<namespace digest>/<version>/` with `train.jsonl`, `probes.jsonl` and
`manifest.json`; the version is a digest of its content, so the same memories give the same version."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from somnia_contracts import namespace_key_prefix

from somnia_parametric.settings import DatasetSettings

# The trainer learns from these; the probes below are never among them.
TRAIN_PHRASINGS = (
    "What do you know about {topic}?",
    "Tell me what you remember about {topic}.",
    "Remind me: {topic}.",
    "What should I keep in mind about {topic}?",
    "Anything I told you on {topic}?",
    "Summarise what we know regarding {topic}.",
    "From memory, {topic}?",
    "Brief me on {topic}.",
)
PROBE_PHRASINGS = (
    "Recall what you learned about {topic}.",
    "Question from memory, no notes: {topic}?",
    "Without looking anything up, what is known about {topic}?",
    "What have you been taught about {topic}?",
)
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")


class PromotedMemory(BaseModel):
    model_config = ConfigDict(frozen=True)

    memory_id: str
    kind: str
    text: str = Field(min_length=1)
    topic: str = ""


class ChatRecord(BaseModel):
    """One training example: the chat turns, and the memory it teaches (provenance)."""

    model_config = ConfigDict(frozen=True)

    memory_id: str
    messages: tuple[dict[str, str], ...]


class Probe(BaseModel):
    """A closed-book question whose answer is the memory."""

    model_config = ConfigDict(frozen=True)

    memory_id: str
    question: str
    answer: str


class DatasetManifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str
    version: str
    memory_ids: tuple[str, ...]
    records: int
    probes: int
    created_at: AwareDatetime
    path: str = ""


def topic_of(memory: PromotedMemory) -> str:
    """The words a question names the memory by: its topic, else its first content words."""
    if memory.topic.strip():
        return memory.topic.strip()
    return " ".join(WORD.findall(memory.text)[:6]) or memory.memory_id


def answer_of(memory: PromotedMemory, settings: DatasetSettings) -> str:
    text = " ".join(memory.text.split())
    return text if len(text) <= settings.answer_chars else text[: settings.answer_chars].rsplit(" ", 1)[0] + " ..."


def build_records(
    memories: Sequence[PromotedMemory], settings: DatasetSettings
) -> tuple[list[ChatRecord], list[Probe]]:
    records: list[ChatRecord] = []
    probes: list[Probe] = []
    for memory in memories:
        topic, answer = topic_of(memory), answer_of(memory, settings)
        for template in TRAIN_PHRASINGS[: settings.phrasings]:
            messages = (
                {"role": "user", "content": template.format(topic=topic)},
                {"role": "assistant", "content": answer},
            )
            records.append(ChatRecord(memory_id=memory.memory_id, messages=messages))
        for template in PROBE_PHRASINGS[: settings.probes]:
            probes.append(Probe(memory_id=memory.memory_id, question=template.format(topic=topic), answer=answer))
    return records, probes


def _jsonl(items: Sequence[BaseModel]) -> str:
    return "".join(json.dumps(i.model_dump(mode="json"), sort_keys=True) + "\n" for i in items)


def write_dataset(
    namespace: str, memories: Sequence[PromotedMemory], root: Path, settings: DatasetSettings
) -> DatasetManifest:
    """Write (or find already written) the dataset of these memories; returns its manifest."""
    if not memories:
        raise ValueError("a dataset needs at least one promoted memory")
    ordered = sorted(memories, key=lambda m: m.memory_id)
    records, probes = build_records(ordered, settings)
    train, held_out = _jsonl(records), _jsonl(probes)
    version = hashlib.sha256(f"{namespace}\x00{train}\x00{held_out}".encode()).hexdigest()[:16]
    directory = root / namespace_key_prefix(namespace) / version
    manifest_path = directory / "manifest.json"
    if manifest_path.is_file():
        return DatasetManifest.model_validate_json(manifest_path.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.jsonl").write_text(train)
    (directory / "probes.jsonl").write_text(held_out)
    manifest = DatasetManifest(
        namespace=namespace,
        version=version,
        memory_ids=tuple(m.memory_id for m in ordered),
        records=len(records),
        probes=len(probes),
        created_at=datetime.now(UTC),
        path=str(directory),
    )
    # The manifest goes last: a directory without one is a write cut short, and is written again.
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(manifest.model_dump_json(indent=2))
    tmp.replace(manifest_path)
    return manifest


def read_records(directory: Path) -> tuple[list[ChatRecord], list[Probe]]:
    """A written dataset's records and probes (what the trainer reads)."""
    records = [ChatRecord.model_validate_json(line) for line in (directory / "train.jsonl").read_text().splitlines()]
    probes = [Probe.model_validate_json(line) for line in (directory / "probes.jsonl").read_text().splitlines()]
    return records, probes
