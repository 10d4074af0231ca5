"""A real Kubernetes API server on loopback: etcd and kube-apiserver (built from their Go modules), with
a bearer token in system:masters and a kubeconfig for helm. No scheduler and no kubelet, so nothing is
scheduled: what it proves is that `helm install` gets every object admitted and validated by the API
server itself (schemas, defaulting, immutable fields), beyond the offline schema checks."""

from __future__ import annotations

import json
import secrets
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from somnia_nats_server import free_port

from somnia_backends.process import ServerProcess
from somnia_backends.tools import install_etcd, install_kube_apiserver

SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc"


class KubeApiServer:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self._etcd_client, self._etcd_peer = free_port(), free_port()
        self.token = secrets.token_hex(16)
        self._etcd = ServerProcess("etcd", data_dir / "etcd.log")
        self._apiserver = ServerProcess("kube-apiserver", data_dir / "kube-apiserver.log")
        # The serving certificate is self-signed (--cert-dir): only this loopback client talks to it.
        self._tls = ssl.create_default_context()
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def start(self, timeout_s: float = 120.0) -> KubeApiServer:
        etcd, apiserver = install_etcd(), install_kube_apiserver()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        etcd_url = f"http://127.0.0.1:{self._etcd_client}"
        self._etcd.spawn(
            [
                str(etcd),
                f"--data-dir={self.data_dir / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{self._etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{self._etcd_peer}",
                f"--initial-cluster=default=http://127.0.0.1:{self._etcd_peer}",
            ],
            {},
        )
        key, public = self.data_dir / "sa.key", self.data_dir / "sa.pub"
        for argv in (["genrsa", "-out", str(key), "2048"], ["rsa", "-in", str(key), "-pubout", "-out", str(public)]):
            subprocess.run(["openssl", *argv], check=True, capture_output=True)
        tokens = self.data_dir / "tokens.csv"
        tokens.write_text(f"{self.token},admin,admin,system:masters\n")
        self._apiserver.spawn(
            [
                str(apiserver),
                f"--etcd-servers={etcd_url}",
                f"--secure-port={self.port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--cert-dir={self.data_dir / 'certs'}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={public}",
                f"--service-account-signing-key-file={key}",
                "--service-cluster-ip-range=10.96.0.0/12",
            ],
            {},
        )
        self._apiserver.wait_until(self._ready, timeout_s, "ready (/readyz)")
        self.kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "local", "cluster": {"server": self.url, "insecure-skip-tls-verify": True}}],
                    "users": [{"name": "admin", "user": {"token": self.token}}],
                    "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}],
                    "current-context": "local",
                }
            )
        )
        return self

    def get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/{path}", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=10, context=self._tls) as answer:
            found: dict[str, Any] = json.load(answer)
            return found

    def version(self) -> str:
        return str(self.get("version")["gitVersion"])

    def _ready(self) -> bool:
        try:
            request = urllib.request.Request(f"{self.url}/readyz", headers={"Authorization": f"Bearer {self.token}"})
            with urllib.request.urlopen(request, timeout=2, context=self._tls) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        self._apiserver.stop()
        self._etcd.stop()

    def __enter__(self) -> KubeApiServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
