"""Both memory stores rank alike on real conversation data: one LoCoMo development conversation, the
same records and vectors (real MiniLM) in the embedded store and in a real Weaviate, every question
asked of both. Keyword search, vector search and their fusion must each find the same share of the
evidence in the top ten, within a point or two (issue: the cluster path recalls as well as the laptop
path). This caught Weaviate's BlockMax WAND index, which found 0.07 where the embedded store found 0.63."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from somnia_memory_store import MemoryRecord, MemoryStore
from somnia_memory_store.embedded.store import EmbeddedMemoryStore

from .conftest import weaviate_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DATA = Path(__file__).resolve().parents[3].parent / "shared" / "bench" / "locomo" / "locomo_dev.json"
NS = "parity/locomo/eval"
DIA_ID = re.compile(r"D\d+:\d+")
K = 10


def turns(conversation: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(session, dia_id, "Speaker: text") in order, as the LoCoMo benchmark imports them."""
    out, n = [], 1
    while f"session_{n}" in conversation:
        for turn in conversation[f"session_{n}"]:
            text = f"{turn['speaker']}: {turn['text']}"
            if turn.get("blip_caption"):
                text += f" [shares {turn['blip_caption']}]"
            out.append((f"session_{n}", turn["dia_id"], text))
        n += 1
    return out


def found(hits: list[Any], evidence: set[str]) -> float:
    return len(evidence & {h.record.turn_id for h in hits[:K]}) / len(evidence)


async def test_weaviate_and_the_embedded_store_find_the_same_evidence(
    weaviate_server,  # type: ignore[no-untyped-def]
    embedder,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    if not DATA.is_file():
        pytest.skip(f"reads the LoCoMo development set from {DATA}, which this checkout lacks")
    conversation = json.loads(DATA.read_text())[0]
    said = turns(conversation["conversation"])
    vectors = await embedder.embed([text for _, _, text in said])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    records = [
        MemoryRecord(
            memory_id=f"parity-{dia_id}", namespace=NS, text=text, session_id=session, turn_id=dia_id,
            role="user", occurred_at=now, recorded_at=now, embedder=embedder.name, vector=vectors[i],
        )
        for i, (session, dia_id, text) in enumerate(said)
    ]  # fmt: skip
    stores: dict[str, MemoryStore] = {
        "embedded": EmbeddedMemoryStore(tmp_path / "memories.sqlite3"),
        "weaviate": weaviate_store(weaviate_server, f"Parity{uuid.uuid4().hex[:8]}"),
    }
    questions = [(qa["question"], set(DIA_ID.findall(" ".join(map(str, qa["evidence"]))))) for qa in conversation["qa"]]
    questions = [(q, evidence) for q, evidence in questions if evidence]
    query_vectors = await embedder.embed([q for q, _ in questions])
    share: dict[tuple[str, str], list[float]] = {}
    try:
        for name, store in stores.items():
            for start in range(0, len(records), 200):
                await store.upsert(records[start : start + 200])
            for (question, evidence), vector in zip(questions, query_vectors, strict=True):
                for mode, hits in (
                    ("keywords", await store.keyword_search(NS, question, K)),
                    ("vectors", await store.vector_search(NS, vector, K)),
                    ("hybrid", await store.hybrid_search(NS, question, vector, K, alpha=0.4)),
                ):
                    share.setdefault((name, mode), []).append(found(hits, evidence))
    finally:
        for store in stores.values():
            await store.aclose()
    mean = {key: float(np.mean(values)) for key, values in share.items()}
    report = ", ".join(f"{name} {mode} {value:.3f}" for (name, mode), value in sorted(mean.items()))
    assert mean[("embedded", "keywords")] > 0.5, report  # the data and the questions are what they should be
    for mode, bar in (("keywords", 0.02), ("vectors", 0.01), ("hybrid", 0.015)):
        assert abs(mean[("weaviate", mode)] - mean[("embedded", mode)]) <= bar, f"{mode} differ: {report}"
