"""Training as a Kubernetes Job, against a real Kubernetes API server (kube-apiserver and etcd on
loopback, from libs/backends): the chart is installed with `parametric.enabled`, and the launcher runs
as dreaming does in a pod, with its own ServiceAccount's token, so the chart's Role is what lets it
create and watch the Job and read its Pod, in its namespace and nowhere else.

No controller-manager, scheduler or kubelet runs here, so nothing would ever run the Job: the test
plays their part on the same API server, the way a kubelet reports a finished container (a Pod with
the Job's label whose container terminated with the trainer's result as its message, then the Job's
status Complete). What is real is every request the launcher makes and every answer it reads."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kubernetes import client
from somnia_backends import KubeApiServer
from somnia_dreaming.parametric.kubernetes_job import KubernetesJobLauncher, job_name
from somnia_dreaming.parametric.settings import LauncherSettings
from somnia_parametric import TrainingJob, TrainingResult, TrainingSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[4]
NAMESPACE = "somnia-train"
RELEASE = "somnia"


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    with KubeApiServer(tmp_path_factory.mktemp("kube")) as server:
        yield server


def api_client(server: KubeApiServer, token: str) -> client.ApiClient:
    configuration = client.Configuration()
    configuration.host = server.url
    # The API server's self-signed serving certificate (its --cert-dir) is the one to trust.
    configuration.ssl_ca_cert = str(server.data_dir / "certs" / "apiserver.crt")
    configuration.api_key = {"authorization": f"Bearer {token}"}
    return client.ApiClient(configuration)


@pytest.fixture(scope="module")
def installed(api_server: KubeApiServer) -> KubeApiServer:
    from somnia_backends.tools import install_helm

    values = {
        "parametric": {
            "enabled": True,
            "nodeSelector": {"nvidia.com/gpu.present": "true"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "resources": {"limits": {"nvidia.com/gpu": 1}},
        },
        "auth": {"mode": "off"},
    }
    argv = [
        str(install_helm()),
        "--kubeconfig",
        str(api_server.kubeconfig),
        "install",
        RELEASE,
        str(ROOT / "charts/somnia"),
    ]
    argv += ["-n", NAMESPACE, "--create-namespace", "--set-json", f"parametric={json.dumps(values['parametric'])}"]
    done = subprocess.run([*argv, "--set", "auth.mode=off"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # The service account controller's part: every namespace has a `default` ServiceAccount.
    admin = client.CoreV1Api(api_client(api_server, api_server.token))
    admin.create_namespaced_service_account(NAMESPACE, {"metadata": {"name": "default"}})
    return api_server


def dreaming_token(server: KubeApiServer) -> str:
    """What the kubelet mounts into the dreaming pod: a token of its ServiceAccount."""
    admin = client.CoreV1Api(api_client(server, server.token))
    request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))
    made = admin.create_namespaced_service_account_token(f"{RELEASE}-dreaming", NAMESPACE, request)
    return str(made.status.token)


def launcher_settings() -> LauncherSettings:
    """As the chart sets them in the dreaming pod (SOMNIA_PARAMETRIC_* from templates/_helpers.tpl)."""
    return LauncherSettings(
        launcher="kubernetes",
        data_dir=Path("/var/lib/somnia/parametric"),
        job_namespace=NAMESPACE,
        job_image="somnia-trainer:0.1.0",
        job_claim=f"{RELEASE}-parametric",
        job_node_selector={"nvidia.com/gpu.present": "true"},
        job_tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        job_resources={"limits": {"nvidia.com/gpu": 1}},
        timeout_s=60,
    )


def a_job(adapter_id: str) -> TrainingJob:
    base = Path("/var/lib/somnia/parametric")
    return TrainingJob(
        "acme/support/u1", adapter_id, base / "datasets/x/1", base / "adapters/x" / adapter_id, TrainingSettings()
    )


def finish(server: KubeApiServer, name: str, result: TrainingResult, *, failed: bool = False) -> None:
    """The part of the job controller and the kubelet: the Job's pod ran and its container ended."""
    admin = api_client(server, server.token)
    core, batch = client.CoreV1Api(admin), client.BatchV1Api(admin)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"{name}-x1", "labels": {"job-name": name}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "trainer", "image": "somnia-trainer:0.1.0"}]},
    }
    core.create_namespaced_pod(NAMESPACE, pod)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    terminated = {
        "exitCode": 1 if failed else 0,
        "message": result.model_dump_json(),
        "startedAt": now,
        "finishedAt": now,
    }
    status = {
        "phase": "Failed" if failed else "Succeeded",
        "containerStatuses": [
            {
                "name": "trainer",
                "image": "somnia-trainer:0.1.0",
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": terminated},
            }
        ],
    }
    core.patch_namespaced_pod_status(f"{name}-x1", NAMESPACE, {"status": status})
    condition = "Failed" if failed else "Complete"
    job_status = {
        "startTime": now,
        "conditions": [{"type": condition, "status": "True", "lastProbeTime": now, "lastTransitionTime": now}],
        **({"failed": 1} if failed else {"succeeded": 1, "completionTime": now}),
    }
    if not failed:
        job_status["conditions"].insert(
            0, {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}
        )
    else:
        job_status["conditions"].insert(
            0, {"type": "FailureTarget", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}
        )
    batch.patch_namespaced_job_status(name, NAMESPACE, {"status": job_status})


async def test_dreaming_creates_watches_and_reads_a_training_job(installed: KubeApiServer) -> None:
    token = dreaming_token(installed)
    launcher = KubernetesJobLauncher(launcher_settings(), api_client(installed, token))
    job = a_job("v1-0123abcd")
    name = job_name(job)
    trained = TrainingResult(
        ok=True,
        dataset_version="1",
        adapter_dir=str(job.out_dir / "adapter"),
        metrics={"probe_token_accuracy_after": 0.97},
    )
    lines: list[dict[str, object]] = []
    running = asyncio.create_task(launcher.run(job, on_progress=lines.append))
    admin = client.BatchV1Api(api_client(installed, installed.token))
    for _ in range(100):
        if admin.list_namespaced_job(NAMESPACE, field_selector=f"metadata.name={name}").items:
            break
        await asyncio.sleep(0.1)
    stored = admin.read_namespaced_job(name, NAMESPACE)
    pod = stored.spec.template.spec
    assert pod.node_selector == {"nvidia.com/gpu.present": "true"}
    assert pod.tolerations[0].key == "nvidia.com/gpu" and pod.service_account_name is None
    assert pod.automount_service_account_token is False and pod.restart_policy == "Never"
    container = pod.containers[0]
    assert container.resources.limits == {"nvidia.com/gpu": "1"}
    assert (
        container.args[:2] == ["--dataset", str(job.dataset_dir)]
        and container.security_context.read_only_root_filesystem
    )
    assert {v.name: v.persistent_volume_claim for v in pod.volumes}["parametric"].claim_name == f"{RELEASE}-parametric"
    assert stored.spec.backoff_limit == 1 and stored.spec.active_deadline_seconds == 60

    await asyncio.to_thread(finish, installed, name, trained)
    result = await asyncio.wait_for(running, 30)
    assert result == trained
    assert {"event": "job", "name": name, "state": "created", "namespace": NAMESPACE} in lines
    assert lines[-1] == {"event": "job", "name": name, "state": "succeeded"}

    # A restarted dreaming pod asks again: the Job exists, so it is watched, not created twice.
    again = await asyncio.wait_for(launcher.run(job, on_progress=lines.append), 30)
    assert again == trained and {"event": "job", "name": name, "state": "exists", "namespace": NAMESPACE} in lines


async def test_a_failed_job_reports_the_trainers_error(installed: KubeApiServer) -> None:
    launcher = KubernetesJobLauncher(launcher_settings(), api_client(installed, dreaming_token(installed)))
    job = a_job("v2-0123abcd")
    failure = TrainingResult(ok=False, error="CUDA out of memory")
    running = asyncio.create_task(launcher.run(job))
    await asyncio.sleep(1.0)
    await asyncio.to_thread(finish, installed, job_name(job), failure, failed=True)
    assert await asyncio.wait_for(running, 30) == failure


def test_the_role_reaches_training_jobs_in_its_namespace_only(installed: KubeApiServer) -> None:
    dreaming = api_client(installed, dreaming_token(installed))
    settings = launcher_settings().model_copy(update={"job_namespace": "default"})
    result = asyncio.run(KubernetesJobLauncher(settings, dreaming).run(a_job("v3-0123abcd")))
    assert not result.ok and "refused: 403" in result.error
    with pytest.raises(client.ApiException) as denied:
        client.CoreV1Api(dreaming).list_namespaced_secret(NAMESPACE)
    assert denied.value.status == 403
