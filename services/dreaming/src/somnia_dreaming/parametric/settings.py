"""Where training runs and where its files go, from SOMNIA_PARAMETRIC_* variables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_parametric_dir() -> Path:
    return Path.home() / ".local" / "share" / "somnia" / "parametric"


def default_trainer_python() -> str:
    """The trainer's own environment (`make trainer-setup`) when it is there; else this interpreter,
    which can train only if torch and peft are installed beside it."""
    venv = Path.home() / ".cache" / "somnia" / "trainer-venv" / "bin" / "python"
    return str(venv) if venv.is_file() else sys.executable


class LauncherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_PARAMETRIC_", extra="ignore")

    # local: a subprocess on this machine (`somnia up`); kubernetes: a Job (the chart); none: decide and
    # write the dataset, train nothing.
    launcher: Literal["local", "kubernetes", "none"] = "local"
    data_dir: Path = Field(default_factory=default_parametric_dir, description="datasets/ and adapters/ live here")
    trainer_python: str = Field(default_factory=default_trainer_python)
    timeout_s: float = Field(default=6 * 3600.0, gt=0, description="a training run taking longer has failed")

    # The Kubernetes Job (the chart's `parametric.*` values set these); the dict and list settings are
    # JSON in their variables, as pydantic-settings reads them.
    job_namespace: str = Field(default="", description="empty: the namespace this pod runs in")
    job_image: str = "somnia-trainer:latest"
    job_service_account: str = ""
    # The volume holding datasets and adapters, mounted at data_dir in the job as in this pod.
    job_claim: str = ""
    job_node_selector: dict[str, str] = Field(default_factory=dict)
    job_tolerations: list[dict[str, Any]] = Field(default_factory=list)
    job_resources: dict[str, Any] = Field(default_factory=dict)
    job_ttl_s: int = Field(default=3600, ge=0, description="finished jobs are removed after this")
    job_backoff_limit: int = Field(default=1, ge=0)

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def adapters_dir(self) -> Path:
        return self.data_dir / "adapters"
