"""The real training loop (PEFT LoRA) on the tiny random causal LM, on CPU: the mechanism end to end.

torch lives only in the trainer's own environment (gigabytes, kept off the default install): `make test`
runs this file there (`make trainer-test`); in the default environment it is skipped."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch lives in the trainer's environment; `make trainer-test` runs it")
PeftModel = pytest.importorskip("peft", reason="peft lives in the trainer's environment").PeftModel
from somnia_parametric import (  # noqa: E402
    DatasetSettings,
    PromotedMemory,
    TrainingSettings,
    read_records,
    write_dataset,
)
from somnia_trainer.base_model import TINY, load_base  # noqa: E402
from somnia_trainer.train import encode, token_accuracy, train  # noqa: E402

MEMORIES = [
    PromotedMemory(memory_id="m1", kind="semantic", text="Deploys go out blue-green on Fridays.", topic="deploys"),
    PromotedMemory(memory_id="m2", kind="semantic", text="Orders moved to Postgres 16 in March.", topic="orders"),
    PromotedMemory(memory_id="m3", kind="procedural", text="Page Priya for refunds.", topic="refunds"),
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    manifest = write_dataset("acme/support/u1", MEMORIES, tmp_path_factory.mktemp("ds"), DatasetSettings())
    return Path(manifest.path)


@pytest.fixture(scope="module")
def trained(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    out = tmp_path_factory.mktemp("out")
    result = train(dataset, out, TrainingSettings(base_model=TINY, epochs=40, seed=3))
    assert result.ok and result.dataset_version == dataset.name
    return out, result.metrics


def test_training_teaches_the_held_out_probes(trained: tuple[Path, dict[str, float]]) -> None:
    _, metrics = trained
    assert metrics["probe_token_accuracy_before"] < 0.2
    assert metrics["probe_token_accuracy_after"] > 0.8
    assert metrics["probe_exact_after"] >= metrics["probe_exact_before"]
    assert metrics["train_loss"] < 0.5 and metrics["peak_rss_mib"] > 0 and metrics["seconds"] > 0


def test_the_saved_adapter_reloads_onto_a_fresh_base(trained: tuple[Path, dict[str, float]], dataset: Path) -> None:
    out, metrics = trained
    assert (out / "adapter" / "adapter_config.json").is_file()
    assert json.loads((out / "somnia-adapter.json").read_text())["metrics"] == metrics
    base = load_base(TINY, seed=3)
    model = PeftModel.from_pretrained(base.model, out / "adapter").eval()
    _, probes = read_records(dataset)
    examples = [encode(base.tokenizer, p.question, p.answer) for p in probes]
    reloaded = token_accuracy(model, examples, base.tokenizer.pad_id, "cpu")
    assert abs(reloaded - metrics["probe_token_accuracy_after"]) < 1e-6
    fresh = token_accuracy(load_base(TINY, seed=3).model.eval(), examples, base.tokenizer.pad_id, "cpu")
    assert fresh == pytest.approx(metrics["probe_token_accuracy_before"], abs=1e-6)
    assert torch.get_num_threads() >= 1


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somnia_trainer", *args], capture_output=True, text=True, timeout=300)


def test_the_command_reports_progress_and_its_result(dataset: Path, tmp_path: Path) -> None:
    done = run_cli(
        "--dataset", str(dataset), "--out", str(tmp_path / "o"), "--epochs", "2", "--result", str(tmp_path / "r.json")
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]
    assert json.loads((tmp_path / "r.json").read_text())["ok"] is True


def test_bad_input_is_refused_with_what_to_fix(dataset: Path, tmp_path: Path) -> None:
    missing = run_cli("--dataset", str(tmp_path), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "no manifest.json" in missing.stderr
    model = run_cli(
        "--dataset",
        str(dataset),
        "--out",
        str(tmp_path / "o"),
        "--base-model",
        "/nowhere",
        "--result",
        str(tmp_path / "r.json"),
    )
    assert model.returncode == 2
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["ok"] is False and "local model directory" in result["error"]
    rank = run_cli("--dataset", str(dataset), "--out", str(tmp_path / "o"), "--rank", "0")
    assert rank.returncode == 2 and "lora_rank" in rank.stderr
