"""Training as a Kubernetes Job, created and watched through the official `kubernetes` client.

The Job runs the trainer's image with the same command line as the local launcher; datasets and
adapters live on a shared volume (`job_claim`) mounted at the same path as in the dreaming pod. The
trainer writes its result to the container's termination message, so the launcher reads it from the
pod's status. Creating a Job that already exists (the dreaming pod restarted mid-training) watches the
existing one instead: a redelivered request never trains twice. RBAC: the chart grants the dreaming
service account Jobs (create, get, list, watch, delete) and Pods (get, list) in its namespace only."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from somnia_contracts import namespace_key_prefix
from somnia_parametric import TrainingJob, TrainingResult, trainer_args

from somnia_dreaming.parametric.launchers import Progress
from somnia_dreaming.parametric.settings import LauncherSettings

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
WATCH_WINDOW_S = 60


def job_name(job: TrainingJob) -> str:
    """Unique per Somnia namespace and adapter, and a valid DNS label (at most 63 characters)."""
    return f"somnia-train-{namespace_key_prefix(job.namespace)[:10]}-{job.adapter_id}".lower()[:63].rstrip("-")


def job_manifest(job: TrainingJob, settings: LauncherSettings) -> dict[str, Any]:
    labels = {  # the chart's NetworkPolicy for training pods selects app.kubernetes.io/name: trainer
        "app.kubernetes.io/name": "trainer",
        "app.kubernetes.io/part-of": "somnia",
        "somnia.dev/adapter": job.adapter_id,
    }
    container: dict[str, Any] = {
        "name": "trainer",
        "image": settings.job_image,
        "command": ["tini", "--", "python", "-m", "somnia_trainer"],
        "args": trainer_args(job),
        # Libraries cache under HOME: a writable emptyDir, the root filesystem staying read-only.
        "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}, {"name": "HOME", "value": "/tmp"}],
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if settings.job_resources:
        container["resources"] = quantities(settings.job_resources)
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        # The volume's files belong to the services' user; the trainer writes adapters beside them.
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumes": [{"name": "tmp", "emptyDir": {}}],
        "automountServiceAccountToken": False,  # the trainer talks to nothing
        "containers": [container],
    }
    if settings.job_service_account:
        pod["serviceAccountName"] = settings.job_service_account
    if settings.job_node_selector:
        pod["nodeSelector"] = settings.job_node_selector
    if settings.job_tolerations:
        pod["tolerations"] = settings.job_tolerations
    if settings.job_claim:
        pod["volumes"].append({"name": "parametric", "persistentVolumeClaim": {"claimName": settings.job_claim}})
        container["volumeMounts"].append({"name": "parametric", "mountPath": str(settings.data_dir)})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(job), "labels": labels},
        "spec": {
            "backoffLimit": settings.job_backoff_limit,
            "activeDeadlineSeconds": int(settings.timeout_s),
            "ttlSecondsAfterFinished": settings.job_ttl_s,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def quantities(resources: dict[str, Any]) -> dict[str, Any]:
    """Resource quantities as the API wants them, strings: `nvidia.com/gpu: 1` in Helm values is an int."""
    return {
        part: {k: str(v) for k, v in amounts.items()} if isinstance(amounts, dict) else amounts
        for part, amounts in resources.items()
    }


def load_api_client() -> client.ApiClient:
    """In a pod: its service account; elsewhere: the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    else:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


class KubernetesJobLauncher:
    name = "kubernetes"

    def __init__(self, settings: LauncherSettings, api: client.ApiClient | None = None) -> None:
        self._settings = settings
        self._api = api
        self.namespace = settings.job_namespace or (
            SERVICE_ACCOUNT_NAMESPACE.read_text().strip() if SERVICE_ACCOUNT_NAMESPACE.is_file() else "default"
        )

    async def run(self, job: TrainingJob, on_progress: Progress | None = None) -> TrainingResult:
        return await asyncio.to_thread(self._run, job, on_progress)

    def _run(self, job: TrainingJob, on_progress: Progress | None) -> TrainingResult:
        api = self._api or load_api_client()
        batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
        name = job_name(job)
        try:
            body: Any = job_manifest(job, self._settings)  # the client takes a manifest as a dict too
            batch.create_namespaced_job(self.namespace, body)
            _tell(on_progress, event="job", name=name, state="created", namespace=self.namespace)
        except ApiException as exc:
            if exc.status != 409:
                return TrainingResult(ok=False, error=f"creating job {name} was refused: {exc.status} {exc.reason}")
            _tell(on_progress, event="job", name=name, state="exists", namespace=self.namespace)
        except ValueError as exc:  # the client checks the manifest first (bad node selector, resources, ...)
            return TrainingResult(ok=False, error=f"job {name} is not a valid Job; check the training settings: {exc}")
        state = self._watch(batch, name, on_progress)
        if state == "timeout":
            return TrainingResult(ok=False, error=f"job {name} ran past {self._settings.timeout_s:.0f} s")
        return self._result(core, name, state)

    def _watch(self, batch: client.BatchV1Api, name: str, on_progress: Progress | None) -> str:
        """'succeeded', 'failed' or 'timeout'."""
        deadline = time.monotonic() + self._settings.timeout_s
        while time.monotonic() < deadline:
            stream = watch.Watch()  # type: ignore[no-untyped-call]
            window = max(1, min(WATCH_WINDOW_S, int(deadline - time.monotonic())))
            for event in stream.stream(  # type: ignore[no-untyped-call]
                batch.list_namespaced_job,
                namespace=self.namespace,
                field_selector=f"metadata.name={name}",
                timeout_seconds=window,
            ):
                state = job_state(event["object"])
                _tell(on_progress, event="job", name=name, state=state)
                if state in ("succeeded", "failed"):
                    stream.stop()  # type: ignore[no-untyped-call]
                    return state
        return "timeout"

    def _result(self, core: client.CoreV1Api, name: str, state: str) -> TrainingResult:
        pods = core.list_namespaced_pod(self.namespace, label_selector=f"job-name={name}").items
        newest_first = sorted(
            pods, key=lambda p: str(p.metadata.creation_timestamp if p.metadata else ""), reverse=True
        )
        for pod in newest_first:
            for status in (pod.status.container_statuses if pod.status else None) or []:
                terminated = status.state.terminated if status.state else None
                if terminated is not None and terminated.message:
                    try:
                        return TrainingResult.model_validate_json(terminated.message)
                    except ValueError:
                        return TrainingResult(ok=False, error=f"job {name}: {terminated.message[-500:]}")
        if state == "succeeded":
            return TrainingResult(ok=False, error=f"job {name} succeeded but its pod left no result")
        return TrainingResult(ok=False, error=f"job {name} failed before the trainer reported anything")


def _created(pod: Any) -> str:
    return str(pod.metadata.creation_timestamp if pod.metadata else "")


def job_state(job: Any) -> str:
    status = job.status
    for condition in (status.conditions or []) if status else []:
        if condition.status == "True" and condition.type == "Complete":
            return "succeeded"
        if condition.status == "True" and condition.type == "Failed":
            return "failed"
    if status and status.succeeded:
        return "succeeded"
    return "running" if status and status.active else "pending"


def _tell(on_progress: Progress | None, **line: Any) -> None:
    if on_progress is not None:
        on_progress(line)
