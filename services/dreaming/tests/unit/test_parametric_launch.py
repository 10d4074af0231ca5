"""The launchers' own logic: the Job manifest the chart's settings make, and what a local run reports
when the trainer cannot run (no torch beside it, or too slow)."""

from __future__ import annotations

import sys
from pathlib import Path

from somnia_dreaming.parametric.kubernetes_job import job_manifest, job_name, job_state, quantities
from somnia_dreaming.parametric.launchers import LocalLauncher, NoLauncher, create_launcher
from somnia_dreaming.parametric.settings import LauncherSettings
from somnia_parametric import TrainingJob, TrainingSettings, trainer_args


def a_job(tmp_path: Path, adapter_id: str = "v3-0123abcd") -> TrainingJob:
    return TrainingJob("acme/support/u1", adapter_id, tmp_path / "ds", tmp_path / "out", TrainingSettings(epochs=7))


def test_the_job_runs_the_trainer_on_the_shared_volume_locked_down(tmp_path: Path) -> None:
    settings = LauncherSettings(
        launcher="kubernetes",
        job_image="registry.local/somnia-trainer:1.2.3",
        job_claim="somnia-parametric",
        job_resources={"limits": {"nvidia.com/gpu": 1, "memory": "8Gi"}},
        data_dir=tmp_path,
    )
    job = a_job(tmp_path)
    manifest = job_manifest(job, settings)
    pod = manifest["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == trainer_args(job) and "--epochs" in container["args"]
    assert container["resources"] == {"limits": {"nvidia.com/gpu": "1", "memory": "8Gi"}}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", str(tmp_path)}
    assert pod["automountServiceAccountToken"] is False and pod["restartPolicy"] == "Never"
    assert "nodeSelector" not in pod and "tolerations" not in pod
    assert manifest["metadata"]["labels"]["app.kubernetes.io/name"] == "trainer"
    name = job_name(job)
    assert len(name) <= 63 and name == name.lower() and name.endswith("v3-0123abcd")
    assert job_name(a_job(tmp_path, "x" * 80)).rstrip("-") == job_name(a_job(tmp_path, "x" * 80))
    assert quantities({"requests": {"cpu": 2}}) == {"requests": {"cpu": "2"}}


class _Status:
    def __init__(self, **fields: object) -> None:
        self.conditions = fields.get("conditions")
        self.succeeded = fields.get("succeeded")
        self.active = fields.get("active")


class _Condition:
    def __init__(self, type: str, status: str = "True") -> None:
        self.type, self.status = type, status


class _Job:
    def __init__(self, status: _Status | None) -> None:
        self.status = status


def test_a_jobs_state_is_read_from_its_conditions() -> None:
    assert job_state(_Job(None)) == "pending"
    assert job_state(_Job(_Status(active=1))) == "running"
    assert job_state(_Job(_Status(conditions=[_Condition("Complete")]))) == "succeeded"
    assert job_state(_Job(_Status(conditions=[_Condition("Failed")]))) == "failed"
    assert job_state(_Job(_Status(conditions=[_Condition("Failed", "False")], active=1))) == "running"


async def test_a_local_run_without_the_trainers_environment_says_how_to_get_it(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "manifest.json").write_text("{}")
    launcher = LocalLauncher(LauncherSettings(trainer_python=sys.executable, data_dir=tmp_path))
    result = await launcher.run(a_job(tmp_path))
    assert not result.ok
    assert "make trainer-setup" in result.error and "torch" in result.error


async def test_a_local_run_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    slow = tmp_path / "slow-python"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    launcher = LocalLauncher(LauncherSettings(trainer_python=str(slow), data_dir=tmp_path, timeout_s=0.5))
    result = await launcher.run(a_job(tmp_path))
    assert not result.ok and "ran past" in result.error


async def test_the_launcher_follows_the_setting() -> None:
    assert isinstance(create_launcher(LauncherSettings(launcher="none")), NoLauncher)
    assert isinstance(create_launcher(LauncherSettings(launcher="local")), LocalLauncher)
    assert not (await NoLauncher().run(a_job(Path("/nowhere")))).ok
