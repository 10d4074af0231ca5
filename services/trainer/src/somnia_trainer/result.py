"""What a training run reports back: written as JSON to the output directory, to `--result`, and (in a
Kubernetes pod) to the container's termination message, where the launcher reads it from the pod's
status without sharing a volume. Kept under 4 KiB for that reason: metrics, not memory ids."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
