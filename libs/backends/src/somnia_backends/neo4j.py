"""Neo4j Community at a pinned version, assembled from its Maven Central jars (the unix tarball is
not published there), run on the machine's Java 17 with a small heap, Bolt on loopback and a
generated password."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from pathlib import Path
from types import TracebackType

from somnia_nats_server import free_port

from somnia_backends.pins import NEO4J_VERSION, cache_root
from somnia_backends.process import BackendError, ServerProcess

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.somnia</groupId>
  <artifactId>neo4j-community-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j.app</groupId><artifactId>neo4j-server</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j-bootcheck</artifactId>
      <version>{version}</version></dependency>
  </dependencies>
</project>
"""


def neo4j_home(version: str = NEO4J_VERSION) -> Path:
    return cache_root() / "neo4j" / version


def install_neo4j(version: str = NEO4J_VERSION) -> Path:
    """Fetch the server's jars with Maven into the cache (about a minute once; instant afterwards)."""
    home = neo4j_home(version)
    if (home / "lib" / ".complete").exists():
        return home
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BackendError("Maven (mvn) is needed to fetch Neo4j's jars; install maven")
    home.mkdir(parents=True, exist_ok=True)
    (home / "pom.xml").write_text(POM.format(version=version))
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            f"-Dmaven.repo.local={cache_root() / 'm2'}",
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
            f"-DoutputDirectory={home / 'lib'}",
            "-DincludeScope=runtime",
        ],
        cwd=home,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackendError(f"fetching Neo4j {version} failed:\n{(result.stdout + result.stderr)[-4000:]}")
    (home / "lib" / ".complete").touch()
    return home


class Neo4jServer:
    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", bolt_port: int = 0, http_port: int = 0) -> None:
        self.data_dir = data_dir
        self.host = host
        self.bolt_port = bolt_port or free_port(host)
        self.http_port = http_port or free_port(host)
        self.user = "neo4j"
        # Hex only: a password starting with "-" would be read as an option by neo4j-admin.
        self.password = secrets.token_hex(16)
        self._process = ServerProcess("neo4j", data_dir / "neo4j.log")
        self._password_set = False

    @property
    def uri(self) -> str:
        return f"bolt://{self.host}:{self.bolt_port}"

    def _write_config(self) -> Path:
        conf = self.data_dir / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        settings = {
            "server.default_listen_address": self.host,
            "server.bolt.listen_address": f"{self.host}:{self.bolt_port}",
            "server.bolt.advertised_address": f"{self.host}:{self.bolt_port}",
            "server.http.listen_address": f"{self.host}:{self.http_port}",
            "server.https.enabled": "false",
            "server.memory.heap.initial_size": "256m",
            "server.memory.heap.max_size": "512m",
            "server.memory.pagecache.size": "64m",
            "dbms.security.auth_enabled": "true",
            "dbms.usage_report.enabled": "false",
            "db.tx_log.rotation.retention_policy": "1 files",
            **{f"server.directories.{d}": str(self.data_dir / d) for d in ("data", "logs", "run", "plugins", "import")},
        }
        (conf / "neo4j.conf").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        return conf

    def start(self, timeout_s: float = 180.0) -> Neo4jServer:
        home = install_neo4j()
        java = shutil.which("java")
        if java is None:
            raise BackendError("Java 17 is needed to run Neo4j")
        conf = self._write_config()
        env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(conf)}
        classpath = f"{home / 'lib'}/*"
        if not self._password_set:
            self._set_password(java, classpath, env)
        argv = [
            java,
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-cp",
            classpath,
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={home}",
            f"--config-dir={conf}",
            "--console-mode",
        ]
        self._process.spawn(argv, env)
        self._process.wait_until(self._bolt_open, timeout_s, "accepting Bolt connections")
        return self

    def _set_password(self, java: str, classpath: str, env: dict[str, str]) -> None:
        """Only before the first start: the password lives in the data directory afterwards."""
        result = subprocess.run(
            [
                java,
                "-cp",
                classpath,
                "org.neo4j.server.startup.Neo4jAdminBoot",
                "dbms",
                "set-initial-password",
                self.password,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackendError(f"setting Neo4j's password failed:\n{result.stdout}{result.stderr}")
        self._password_set = True

    def _bolt_open(self) -> bool:
        try:
            with socket.create_connection((self.host, self.bolt_port), timeout=0.5):
                return True
        except OSError:
            return False

    def version(self) -> str:
        return NEO4J_VERSION

    def stop(self) -> None:
        self._process.stop()

    def kill(self) -> None:
        self._process.kill()

    def __enter__(self) -> Neo4jServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
