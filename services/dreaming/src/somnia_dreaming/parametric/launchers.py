"""Running the trainer where this deployment trains: a subprocess on this machine (`somnia up`), a
Kubernetes Job (the chart: kubernetes_job.py), or nowhere (decide and write the dataset only)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable
from typing import Any, Protocol

from somnia_parametric import TrainingJob, TrainingResult, trainer_args

from somnia_dreaming.parametric.settings import LauncherSettings

log = logging.getLogger("somnia.dreaming")
Progress = Callable[[dict[str, Any]], None]


class TrainingLauncher(Protocol):
    name: str

    async def run(self, job: TrainingJob, on_progress: Progress | None = None) -> TrainingResult: ...


class NoLauncher:
    """SOMNIA_PARAMETRIC_LAUNCHER=none: datasets are written, nothing trains."""

    name = "none"

    async def run(self, job: TrainingJob, on_progress: Progress | None = None) -> TrainingResult:
        return TrainingResult(ok=False, error="no trainer: SOMNIA_PARAMETRIC_LAUNCHER is none")


class LocalLauncher:
    """`python -m somnia_trainer` in the trainer's environment, reading its JSON-lines progress."""

    name = "local"

    def __init__(self, settings: LauncherSettings) -> None:
        self._python, self._timeout_s = settings.trainer_python, settings.timeout_s

    async def run(self, job: TrainingJob, on_progress: Progress | None = None) -> TrainingResult:
        job.out_dir.mkdir(parents=True, exist_ok=True)
        log_path = job.out_dir / "trainer.log"
        with log_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                self._python,
                "-m",
                "somnia_trainer",
                *trainer_args(job),
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env={"HF_HUB_OFFLINE": "1", **_inherited()},
                start_new_session=True,  # its own process group: stopping it stops what it started too
            )
            try:
                await asyncio.wait_for(self._follow(process, on_progress), self._timeout_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
                return TrainingResult(ok=False, error=f"training ran past {self._timeout_s:.0f} s and was stopped")
        if job.result_path.is_file():
            return TrainingResult.model_validate_json(job.result_path.read_text())
        tail = log_path.read_text(errors="replace")[-600:]
        if "No module named" in tail:
            return TrainingResult(
                ok=False,
                error=f"{self._python} has no trainer environment (torch, peft): run `make trainer-setup` or set "
                f"SOMNIA_PARAMETRIC_TRAINER_PYTHON; {tail.strip().splitlines()[-1]}",
            )
        return TrainingResult(ok=False, error=f"the trainer exited {process.returncode}: {tail.strip()}")

    @staticmethod
    async def _follow(process: asyncio.subprocess.Process, on_progress: Progress | None) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if on_progress is not None and isinstance(line, dict):
                on_progress(line)
        await process.wait()


def _inherited() -> dict[str, str]:
    """What the trainer may see of this process's environment: paths and Somnia's, thread and GPU
    settings; not credentials of the stores it has no business with."""
    keep = ("PATH", "HOME", "LANG", "SOMNIA_", "OMP_", "CUDA_", "TMPDIR")
    return {k: v for k, v in os.environ.items() if k.startswith(keep)}


def create_launcher(settings: LauncherSettings) -> TrainingLauncher:
    if settings.launcher == "kubernetes":
        from somnia_dreaming.parametric.kubernetes_job import KubernetesJobLauncher

        return KubernetesJobLauncher(settings)
    if settings.launcher == "none":
        return NoLauncher()
    return LocalLauncher(settings)
