"""`somnia-backends install | up | images | trainer-image | system | docker-api -- CMD`: install the
pinned servers into the cache, run them all on loopback (data in a temporary directory) until Ctrl-C,
build every container image (`make images`), build the trainer's image and train in it
(`make image-trainer`), run the whole system as containers until Ctrl-C, or run CMD with a Docker API
for testcontainers (podman's, when there is no Docker)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from somnia_nats_server import NatsServer

from somnia_backends import engine, images
from somnia_backends.docker_api import run_with_docker_api
from somnia_backends.neo4j import Neo4jServer, install_neo4j
from somnia_backends.pins import (
    ETCD_VERSION,
    HELM_VERSION,
    JAEGER_VERSION,
    KUBERNETES_VERSION,
    NEO4J_VERSION,
    WEAVIATE_VERSION,
)
from somnia_backends.process import BackendError
from somnia_backends.system import ContainerSystem
from somnia_backends.tools import install_etcd, install_helm, install_jaeger, install_kube_apiserver
from somnia_backends.weaviate import WeaviateServer, install_weaviate

console = Console()


# What `up` runs (NATS comes from its wheel), then the tools the tests also need.
SERVERS: tuple[tuple[str, Callable[[], Path]], ...] = (
    ("Weaviate " + WEAVIATE_VERSION, install_weaviate),
    ("Neo4j " + NEO4J_VERSION, install_neo4j),
)
TOOLS: tuple[tuple[str, Callable[[], Path]], ...] = (
    ("Helm " + HELM_VERSION, install_helm),
    ("Jaeger " + JAEGER_VERSION, install_jaeger),
    ("kube-apiserver " + KUBERNETES_VERSION, install_kube_apiserver),
    ("etcd " + ETCD_VERSION, install_etcd),
)


def install(steps: tuple[tuple[str, Callable[[], Path]], ...] = SERVERS + TOOLS) -> None:
    for name, step in steps:
        started = time.monotonic()
        with console.status(f"installing {name} (cached after the first time)"):
            where = step()
        console.print(f"{name}: {where} ({time.monotonic() - started:.1f}s)")


def up() -> None:
    install(SERVERS)
    with tempfile.TemporaryDirectory(prefix="somnia-backends-") as tmp:
        root = Path(tmp)
        nats, weaviate, neo4j = (
            NatsServer(root / "nats"),
            WeaviateServer(root / "weaviate"),
            Neo4jServer(root / "neo4j"),
        )
        started: list[NatsServer | WeaviateServer | Neo4jServer] = []

        def _stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        try:
            for server in (nats, weaviate, neo4j):
                t0 = time.monotonic()
                with console.status(f"starting {type(server).__name__}"):
                    server.start()
                started.append(server)
                console.print(f"{type(server).__name__} ready in {time.monotonic() - t0:.1f}s")
            table = Table(title="backends on loopback (Ctrl-C stops them)")
            for column in ("server", "version", "address", "environment for Somnia"):
                table.add_column(column)
            table.add_row("NATS", nats.version(), nats.url, f"SOMNIA_NATS_URL={nats.url}")
            table.add_row(
                "Weaviate",
                weaviate.version(),
                weaviate.url,
                f"SOMNIA_STORE_KIND=weaviate SOMNIA_STORE_WEAVIATE_HTTP_PORT={weaviate.http_port} "
                f"SOMNIA_STORE_WEAVIATE_GRPC_PORT={weaviate.grpc_port} "
                f"SOMNIA_STORE_WEAVIATE_API_KEY={weaviate.api_key}",
            )
            table.add_row(
                "Neo4j",
                neo4j.version(),
                neo4j.uri,
                f"SOMNIA_GRAPH_KIND=neo4j SOMNIA_GRAPH_NEO4J_URI={neo4j.uri} "
                f"SOMNIA_GRAPH_NEO4J_PASSWORD={neo4j.password}",
            )
            console.print(table)
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            console.print("stopping ...")
        except BackendError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise SystemExit(1) from exc
        finally:
            for server in reversed(started):
                server.stop()
            console.print("backends stopped")


def build_images(repo: Path, results: Path | None) -> None:
    """Bases, then every service, then NATS, Weaviate and Neo4j; a table of sizes and times at the end."""
    started = time.monotonic()
    ports = images.service_ports(repo)
    tag = images.chart_app_version(repo)
    steps: list[tuple[str, Callable[[], images.Built]]] = [
        (f"base {b.name}", partial(images.build_base, b)) for b in images.BASES.values()
    ]
    steps += [(s, partial(images.build_service, repo, s, p, tag)) for s, p in ports.items()]
    steps += [(b, partial(images.build_backend, repo, b)) for b in images.BACKENDS]
    built: list[tuple[str, images.Built]] = []
    for name, step in steps:
        with console.status(f"building {name}"):
            outcome = step()
        built.append((name, outcome))
        note = "unchanged" if outcome.reused else "built"
        console.print(f"{name}: {outcome.image} {outcome.size_bytes / 1e6:.0f} MB ({note}, {outcome.seconds:.1f}s)")
    with console.status("removing untagged build leftovers"):
        pruned = engine.prune_build_leftovers()
    console.print(f"removed {pruned} untagged build leftovers")
    total = time.monotonic() - started
    table = Table(title=f"images ({total:.0f}s in all)")
    for column in ("image", "size", "seconds", ""):
        table.add_column(column, justify="right" if column in ("size", "seconds") else "left")
    for _, outcome in built:
        table.add_row(
            outcome.image,
            f"{outcome.size_bytes / 1e6:.0f} MB",
            f"{outcome.seconds:.1f}",
            "unchanged" if outcome.reused else "built",
        )
    console.print(table)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "seconds": round(total, 1),
            "images": [
                {
                    "name": n,
                    "image": o.image,
                    "size_mb": round(o.size_bytes / 1e6, 1),
                    "seconds": round(o.seconds, 1),
                    "reused": o.reused,
                }
                for n, o in built
            ],
        }
        results.write_text(json.dumps(record, indent=2) + "\n")


# Run inside the trainer's image: a small dataset from somnia_parametric, as dreaming would write it.
SMOKE_DATASET = """
import sys
from pathlib import Path
from somnia_parametric import DatasetSettings, PromotedMemory, write_dataset
facts = {"deploys": "Deploys go out blue-green on Fridays.", "orders": "Orders moved to Postgres 16 in March.",
         "refunds": "Page Priya for refunds."}
memories = [PromotedMemory(memory_id=k, kind="semantic", text=v, topic=k) for k, v in facts.items()]
print(write_dataset("smoke/trainer/image", memories, Path(sys.argv[1]), DatasetSettings()).path)
"""


def trainer_image(repo: Path, results: Path | None) -> None:
    """Build the trainer's image and train in it as a Job's pod would (no network, read-only root, the
    services' user), on a dataset written inside the image; its size, build time and result to `results`."""
    import tempfile

    tag = images.chart_app_version(repo)
    with console.status("building the python base"):
        images.build_base(images.BASES["python"])
    with console.status("building the trainer's image (torch, peft: several GB the first time)"):
        built = images.build_trainer(repo, tag)
    engine.prune_build_leftovers()
    console.print(f"trainer: {built.image} {built.size_bytes / 1e9:.2f} GB ({built.seconds:.0f}s)")
    with tempfile.TemporaryDirectory() as work:
        Path(work).chmod(0o777)  # the image runs as uid 10001
        pod = ["run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--user", "10001:10001"]
        pod += ["-e", "HOME=/tmp", "-v", f"{work}:/work", "--entrypoint", "tini", built.image, "--", "python"]
        dataset = engine.call([*pod, "-c", SMOKE_DATASET, "/work/datasets"], timeout_s=600).stdout.strip()
        started = time.monotonic()
        trained = engine.call(
            [*pod, "-m", "somnia_trainer", "--dataset", dataset, "--out", "/work/out", "--epochs", "40"], timeout_s=1800
        )
        seconds = time.monotonic() - started
        result = json.loads(trained.stdout.strip().splitlines()[-1])
    metrics = result["metrics"]
    console.print(
        f"trained in the image in {seconds:.0f}s: probe token accuracy {metrics['probe_token_accuracy_before']:.2f} -> "
        f"{metrics['probe_token_accuracy_after']:.2f}, peak RSS {metrics['peak_rss_mib']:.0f} MiB"
    )
    if not result["ok"]:
        raise BackendError(f"training in the trainer's image failed: {result['error']}")
    if results is not None:
        record = {
            "image": built.image,
            "size_mb": round(built.size_bytes / 1e6, 1),
            "build_seconds": round(built.seconds, 1),
            "reused": built.reused,
            "run_seconds": round(seconds, 1),
            "metrics": metrics,
        }
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(record, indent=2) + "\n")


def run_system(repo: Path, api_keys: Path | None) -> None:
    """Every image as a container on one network until Ctrl-C; capture, recall and traces on loopback."""
    if api_keys is None or not api_keys.is_file():
        raise BackendError(
            "give --api-keys FILE, a key file made by `somnia keys create NAME --namespace 'acme/*' "
            "--scope capture --scope recall --file FILE` (the services read it; keep the printed key)"
        )
    system = ContainerSystem(repo, api_keys.resolve(), tracing=True)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        with console.status("starting NATS, Weaviate, Neo4j, the collector, Jaeger and every service"):
            started = time.monotonic()
            system.start()
        table = Table(title=f"Somnia as containers, ready in {time.monotonic() - started:.0f}s (Ctrl-C stops it)")
        table.add_column("what")
        table.add_column("where")
        table.add_row("capture (gRPC)", system.capture)
        table.add_row("recall (gRPC)", system.recall)
        table.add_row("traces (Jaeger UI)", f"http://127.0.0.1:{system.published['traces']}")
        table.add_row("network", system.network)
        ports = f"SOMNIA_CAPTURE_PORT={system.published['capture']} SOMNIA_RECALL_PORT={system.published['recall']}"
        table.add_row("CLI environment", f"{ports} SOMNIA_API_KEY=<your key>")
        console.print(table)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopping ...")
    finally:
        system.remove()
        console.print("containers, volumes and network removed")


def main() -> None:
    parser = argparse.ArgumentParser(prog="somnia-backends", description=__doc__)
    parser.add_argument("command", choices=["install", "up", "images", "trainer-image", "system", "docker-api"])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository root (images)")
    parser.add_argument("--results", type=Path, help="write image sizes and build times here as JSON (images)")
    parser.add_argument("--api-keys", type=Path, help="the services' key file (system)")
    argv = sys.argv[1:]
    # docker-api's command follows `--`: everything after it is the command's, never ours.
    ours, command = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args = parser.parse_args(ours)
    try:
        if args.command == "docker-api":
            raise SystemExit(run_with_docker_api(command))
        if args.command == "system":
            run_system(args.repo, args.api_keys)
            return
        if args.command == "images":
            build_images(args.repo, args.results)  # each backend image installs what it is built from
        elif args.command == "trainer-image":
            trainer_image(args.repo, args.results)
        else:
            install() if args.command == "install" else up()
    except BackendError as exc:
        # escape: a build's output holds brackets ("[/src/.venv ...]") that rich would read as markup.
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
