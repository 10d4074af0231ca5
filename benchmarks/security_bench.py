"""What identity and encryption cost: Recall latency and Capture throughput with authentication and
TLS off, then on (API key; API key over TLS; JWT over TLS; client certificates), in one run.

Real capture and recall servers in this process on a real nats-server, the embedded store holding
--memories memories, the real embedder. The modes run in turns, --rounds times, so drift hits them all
alike; the figures are medians over rounds. Writes benchmarks/results/security.json.

    uv run python benchmarks/security_bench.py [--memories 20000] [--queries 200] [--turns 1000]
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import AuthSettings, ClientTls, ServerSecurity, TlsSettings, open_aio_channel
from somnia_auth.testing import write_certificates, write_keys
from somnia_capture.main import CaptureApp
from somnia_capture.settings import CaptureSettings
from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_recall.main import RecallApp
from somnia_recall.settings import RecallSettings
from somnia_retrieval import RetrievalConfig

RESULTS = Path(__file__).parent / "results"
NS = "bench/agent/user"
TOPICS = ["budget", "kayak", "deploy", "dentist", "ferry", "wedding", "allergy", "invoice", "garden", "guitar"]
console = Console()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Mode:
    name: str
    security: ServerSecurity
    token: str
    tls: ClientTls | None


def modes(directory: Path) -> list[Mode]:
    keys = write_keys(directory / "keys.json", {"bench": (["bench/*"], ["capture", "recall"])})
    pem = write_certificates(directory, client_identity="bench.internal")
    (directory / "certs.json").write_text(
        json.dumps(
            {
                "certificates": [
                    {"identity": "bench.internal", "namespaces": ["bench/*"], "scopes": ["capture", "recall"]}
                ]
            }
        )
    )
    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(signing.public_key())), "kid": "bench", "alg": "RS256"}
    (directory / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    token = jwt.encode(
        {
            "iss": "https://id.bench",
            "aud": "somnia",
            "sub": "bench",
            "exp": int(time.time()) + 86_400,
            "namespaces": ["bench/*"],
            "scope": "capture recall",
        },
        signing,
        algorithm="RS256",
        headers={"kid": "bench"},
    )
    unlimited = {"caller_rate": 0, "namespace_rate": 0}
    keys_only = AuthSettings(api_keys_file=directory / "keys.json", **unlimited)  # type: ignore[arg-type]
    tls = TlsSettings(cert_file=pem["server"], key_file=pem["server-key"])
    with_jwt = AuthSettings(
        jwks_file=directory / "jwks.json",
        jwt_issuer="https://id.bench",
        **unlimited,  # type: ignore[arg-type]
    )
    with_certs = AuthSettings(client_certs_file=directory / "certs.json", **unlimited)  # type: ignore[arg-type]
    mtls = TlsSettings(cert_file=pem["server"], key_file=pem["server-key"], client_ca_file=pem["ca"])
    return [
        Mode("off", ServerSecurity.disabled(), "", None),
        Mode("API key", ServerSecurity.from_settings(keys_only, TlsSettings()), keys["bench"], None),
        Mode("API key + TLS", ServerSecurity.from_settings(keys_only, tls), keys["bench"], ClientTls(pem["ca"])),
        Mode("JWT + TLS", ServerSecurity.from_settings(with_jwt, tls), token, ClientTls(pem["ca"])),
        Mode(
            "mTLS",
            ServerSecurity.from_settings(with_certs, mtls),
            "",
            ClientTls(pem["ca"], pem["client"], pem["client-key"]),
        ),
    ]


async def seed(store: EmbeddedMemoryStore, embedder: OnnxMiniLMEmbedder, count: int) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with Progress(console=console) as progress:
        task = progress.add_task(f"seeding {count:,} memories", total=count)
        for start in range(0, count, 256):
            texts = [
                f"note {i}: the {TOPICS[i % len(TOPICS)]} plan changed on day {i % 97} for item {i * 7919 % 10007}"
                for i in range(start, min(count, start + 256))
            ]
            vectors = await embedder.embed(texts)
            await store.upsert(
                [
                    MemoryRecord(
                        memory_id=f"m{start + j}",
                        namespace=NS,
                        text=text,
                        session_id=f"s{(start + j) // 20}",
                        turn_id=f"t{start + j}",
                        role="user",
                        occurred_at=t0 + timedelta(minutes=start + j),
                        recorded_at=t0,
                        embedder=embedder.name,
                        vector=vectors[j],
                    )
                    for j, text in enumerate(texts)
                ]
            )
            progress.advance(task, len(texts))


async def timed(calls: int, call: Callable[[int], Awaitable[Any]]) -> list[float]:
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        await call(i)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def one_round(
    mode: Mode,
    store: EmbeddedMemoryStore,
    embedder: OnnxMiniLMEmbedder,
    nats_url: str,
    args: argparse.Namespace,
    r: int,
) -> dict[str, float]:
    recall = RecallApp(
        RecallSettings(port=0), embedder, store, config=RetrievalConfig.from_env(), security=mode.security, nats=False
    )
    capture = CaptureApp(CaptureSettings(port=0, nats_url=nats_url), mode.security)
    recall_port, capture_port = await recall.server.start(), await capture.start()
    try:
        async with (
            open_aio_channel(f"localhost:{recall_port}", token=mode.token, tls=mode.tls) as recall_channel,
            open_aio_channel(f"localhost:{capture_port}", token=mode.token, tls=mode.tls) as capture_channel,
        ):
            recall_stub = recall_pb2_grpc.RecallServiceStub(recall_channel)
            capture_stub = capture_pb2_grpc.CaptureServiceStub(capture_channel)

            async def ask(i: int) -> Any:
                query = f"what changed in the {TOPICS[i % len(TOPICS)]} plan on day {i % 97}?"
                return await recall_stub.Recall(recall_pb2.RecallRequest(namespace=NS, query=query, k=10))

            async def capture_one(i: int) -> Any:
                turn = capture_pb2.Turn(
                    turn_id=f"r{r}-{mode.name.replace(' ', '').replace('+', '_')}-{i}",
                    role=capture_pb2.ROLE_USER,
                    content=f"turn {i}",
                )
                return await capture_stub.Capture(
                    capture_pb2.CaptureRequest(namespace=NS, session_id=f"bench-{r}", turns=[turn])
                )

            await timed(10, ask)  # warm: connection, TLS handshake, caches
            await timed(10, capture_one)
            recall_ms = await timed(args.queries, ask)
            started = time.perf_counter()
            await asyncio.gather(
                *(timed(args.turns // 8, lambda i, w=w: capture_one(10_000 * (w + 1) + i)) for w in range(8))
            )
            capture_s = time.perf_counter() - started
    finally:
        await recall.server.stop()
        await capture.stop()
    return {
        "recall_p50_ms": statistics.median(recall_ms),
        "recall_p99_ms": percentile(recall_ms, 0.99),
        "capture_turns_per_s": (args.turns // 8 * 8) / capture_s,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        embedder = OnnxMiniLMEmbedder()
        store = EmbeddedMemoryStore(directory / "m.db")
        await seed(store, embedder, args.memories)
        all_modes = modes(directory)
        rounds: dict[str, list[dict[str, float]]] = {m.name: [] for m in all_modes}
        with NatsServer(directory / "nats") as nats_server:
            for r in range(args.rounds):
                for mode in all_modes:
                    console.print(f"round {r + 1}/{args.rounds}: {mode.name}")
                    rounds[mode.name].append(await one_round(mode, store, embedder, nats_server.url, args, r))
        await store.aclose()
        await embedder.aclose()
    summary = {
        name: {key: statistics.median(result[key] for result in results) for key in results[0]}
        for name, results in rounds.items()
    }
    return {"summary": summary, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--turns", type=int, default=1000, help="Capture calls per mode and round (8 in flight)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    found = asyncio.run(run(args))
    base = found["summary"]["off"]
    table = Table(title=f"auth and TLS cost ({args.memories:,} memories, medians of {args.rounds} rounds)")
    for column in ("mode", "Recall p50 ms", "Recall p99 ms", "p99 vs off", "Capture turns/s", "vs off"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for name, figures in found["summary"].items():
        table.add_row(
            name,
            f"{figures['recall_p50_ms']:.1f}",
            f"{figures['recall_p99_ms']:.1f}",
            f"{figures['recall_p99_ms'] / base['recall_p99_ms']:.2f}x",
            f"{figures['capture_turns_per_s']:.0f}",
            f"{figures['capture_turns_per_s'] / base['capture_turns_per_s']:.2f}x",
        )
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    results = {
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "parameters": vars(args),
        **found,
    }
    (RESULTS / "security.json").write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"results: {RESULTS / 'security.json'}")


if __name__ == "__main__":
    main()
