"""The contract between whoever launches a training run (dreaming) and the trainer: its command line,
and what it reports back. The result is written as JSON to the output directory, to `--result`, and (in
a Kubernetes pod) to the container's termination message, where the launcher reads it from the pod's
status without sharing a volume; it stays under 4 KiB for that reason (metrics, not memory ids)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from somnia_parametric.settings import TrainingSettings

RESULT_FILE = "somnia-adapter.json"
TERMINATION_LOG_BYTES = 4096


class TrainingResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    dataset_version: str = ""
    base_model: str = ""
    adapter_dir: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class TrainingJob:
    """One adapter to train: from which dataset, into which directory, how."""

    namespace: str
    adapter_id: str
    dataset_dir: Path
    out_dir: Path
    training: TrainingSettings

    @property
    def result_path(self) -> Path:
        return self.out_dir / "result.json"


def trainer_args(job: TrainingJob) -> list[str]:
    """The arguments of `python -m somnia_trainer` for a job (the same locally and in a pod)."""
    t = job.training
    return [
        "--dataset",
        str(job.dataset_dir),
        "--out",
        str(job.out_dir),
        "--result",
        str(job.result_path),
        "--base-model",
        t.base_model,
        "--rank",
        str(t.lora_rank),
        "--alpha",
        str(t.lora_alpha),
        "--epochs",
        str(t.epochs),
        "--learning-rate",
        repr(t.learning_rate),
        "--seed",
        str(t.seed),
    ]
