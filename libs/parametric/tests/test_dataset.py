from pathlib import Path

import pytest
from somnia_parametric import (
    PROBE_PHRASINGS,
    TRAIN_PHRASINGS,
    DatasetSettings,
    PromotedMemory,
    read_records,
    topic_of,
    write_dataset,
)

MEMORIES = [
    PromotedMemory(memory_id="m2", kind="semantic", text="Deploys go out blue-green on Fridays.", topic="deploys"),
    PromotedMemory(memory_id="m1", kind="procedural", text="To rotate keys, run vault rotate then restart."),
]


def test_records_carry_provenance_and_probes_are_phrased_apart(tmp_path: Path) -> None:
    settings = DatasetSettings(phrasings=3, probes=2)
    manifest = write_dataset("acme/support/u1", MEMORIES, tmp_path, settings)
    records, probes = read_records(Path(manifest.path))
    assert manifest.memory_ids == ("m1", "m2") and manifest.records == 6 and manifest.probes == 4
    assert {r.memory_id for r in records} == {"m1", "m2"}
    assert records[0].messages[0]["role"] == "user" and records[0].messages[1]["role"] == "assistant"
    assert records[0].messages[1]["content"] == MEMORIES[1].text
    trained = {r.messages[0]["content"] for r in records}
    assert not trained & {p.question for p in probes}
    assert set(TRAIN_PHRASINGS).isdisjoint(PROBE_PHRASINGS)
    assert any("deploys" in p.question for p in probes)


def test_the_same_memories_give_the_same_version_and_other_ones_another(tmp_path: Path) -> None:
    settings = DatasetSettings()
    first = write_dataset("acme/support/u1", MEMORIES, tmp_path, settings)
    again = write_dataset("acme/support/u1", list(reversed(MEMORIES)), tmp_path, settings)
    other = write_dataset("acme/support/u1", MEMORIES[:1], tmp_path, settings)
    assert first.version == again.version and first.created_at == again.created_at
    assert other.version != first.version


def test_a_topic_falls_back_to_the_first_words_and_long_answers_are_cut(tmp_path: Path) -> None:
    assert topic_of(MEMORIES[1]) == "To rotate keys run vault rotate"
    long = PromotedMemory(memory_id="m3", kind="semantic", text="word " * 200)
    manifest = write_dataset("acme/support/u1", [long], tmp_path, DatasetSettings(answer_chars=60))
    records, _ = read_records(Path(manifest.path))
    assert len(records[0].messages[1]["content"]) <= 64


def test_an_empty_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        write_dataset("acme/support/u1", [], tmp_path, DatasetSettings())
