"""`somnia-backends install | up`: install the pinned servers into the cache, or run them all on
loopback (data in a temporary directory) until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from somnia_nats_server import NatsServer

from somnia_backends.neo4j import Neo4jServer, install_neo4j
from somnia_backends.pins import HELM_VERSION, NEO4J_VERSION, WEAVIATE_VERSION
from somnia_backends.process import BackendError
from somnia_backends.tools import install_helm
from somnia_backends.weaviate import WeaviateServer, install_weaviate

console = Console()


def install() -> None:
    steps = (
        ("Weaviate " + WEAVIATE_VERSION, install_weaviate),
        ("Neo4j " + NEO4J_VERSION, install_neo4j),
        ("Helm " + HELM_VERSION, install_helm),
    )
    for name, step in steps:
        started = time.monotonic()
        with console.status(f"installing {name} (cached after the first time)"):
            where = step()
        console.print(f"{name}: {where} ({time.monotonic() - started:.1f}s)")


def up() -> None:
    install()
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="somnia-backends", description=__doc__)
    parser.add_argument("command", choices=["install", "up"])
    args = parser.parse_args()
    try:
        install() if args.command == "install" else up()
    except BackendError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
