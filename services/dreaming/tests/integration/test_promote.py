"""The last rung of the dream ladder on real parts: a dream over synthetic sessions on the embedded
stores, the promotion rule on what it made, the real trainer (PEFT LoRA on the tiny random model, in
the trainer's own environment) as a local subprocess, the adapter registry on a real nats-server, and
forgetting that marks the adapter stale and asks for a retrain."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest
from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import DREAM_STREAM, DreamRequested, Subjects
from somnia_dreaming import synthetic
from somnia_dreaming.checkpoints import InProcessCheckpoints
from somnia_dreaming.jobs.consolidate import Consolidator
from somnia_dreaming.models import DreamWindow
from somnia_dreaming.parametric.launchers import LocalLauncher
from somnia_dreaming.parametric.promote import ParametricSettings, Promoter
from somnia_dreaming.parametric.settings import LauncherSettings
from somnia_dreaming.runner import DreamRunner
from somnia_dreaming.settings import DreamSettings
from somnia_dreaming.summarize import ExtractiveSummarizer
from somnia_graph_store import MemoryUse
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import SearchFilter, scan_all
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_nats_server import NatsServer
from somnia_parametric import (
    AdapterRegistry,
    DatasetSettings,
    PromotionSettings,
    StaleAdapters,
    TrainingSettings,
    read_records,
)
from somnia_tokens import TokenizerSettings, create_token_counter

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NS = "acme/ops-bot/team"
TRAINER = Path.home() / ".cache" / "somnia" / "trainer-venv" / "bin" / "python"


def on_disk(*paths: str) -> list[bool]:
    return [os.path.exists(p) for p in paths]


@pytest.fixture
def trainer_python() -> str:
    if not TRAINER.is_file():
        if os.environ.get("SOMNIA_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"{TRAINER} is missing: `make trainer-setup` installs the trainer's environment")
        pytest.skip("the trainer's environment is not installed (`make trainer-setup`)")
    return str(TRAINER)


async def test_promote_trains_an_adapter_and_forgetting_makes_it_stale(
    nats_server: NatsServer, tmp_path: Path, embedder, trainer_python: str
) -> None:  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    start = datetime.now(UTC) - timedelta(days=3)
    sessions = list(synthetic.generate(120, start=start))
    await synthetic.write(NS, sessions, graph, store, synthetic.TopicVectors(), embedder=embedder.name)
    window = DreamWindow(namespace=NS, since=start - timedelta(days=1), until=datetime.now(UTC) + timedelta(days=1))
    consolidator = Consolidator(store, graph, embedder, ExtractiveSummarizer())
    await DreamRunner(graph, store, consolidator, InProcessCheckpoints(), DreamSettings.from_env()).run(window, "d1")
    insights = [r async for r in scan_all(store, NS, SearchFilter(kinds=("semantic", "procedural")))]
    assert len(insights) >= 4
    # Agents reached for the insights: each recall is a use (what recall records on the graph).
    now = datetime.now(UTC)
    await graph.record_uses(
        [
            MemoryUse(namespace=NS, memory_id=r.memory_id, use_id=f"u{i}-{r.memory_id[:8]}", used_at=now)
            for r in insights
            for i in range(40)
        ]
    )

    settings = ParametricSettings(
        promotion=PromotionSettings(stable_days=0, min_sessions=3, expected_sessions_per_day=500, min_memories=2),
        dataset=DatasetSettings(phrasings=3, probes=2, answer_chars=120),
        training=TrainingSettings(epochs=25, seed=1),
        launcher=LauncherSettings(data_dir=tmp_path / "parametric", trainer_python=trainer_python),
    )
    broker = create_broker(nats_server.url, name="test")
    await broker.connect()
    await ensure_streams(broker, DREAM_STREAM)
    try:
        registry = AdapterRegistry(broker.connection.jetstream())
        await registry.open()
        tokens = create_token_counter(TokenizerSettings())
        promoter = Promoter(store, graph, tokens, LocalLauncher(settings.launcher), settings, registry)

        explained = await promoter.explain(window)
        assert explained.batch.train, explained.batch.reason
        by_id = {d.candidate.memory_id: d for d in explained.batch.decisions}
        assert {r.memory_id for r in insights} <= set(by_id)
        assert all(by_id[m].promoted for m in explained.batch.promoted)
        procedures = [d for d in explained.batch.decisions if d.candidate.kind == "procedural"]
        assert procedures and all(any(c.name == "successful" for c in d.checks) for d in procedures)

        lines: list[dict[str, object]] = []
        report = await promoter.promote(window, on_progress=lines.append)
        adapter = report.adapter
        assert adapter is not None and adapter.status == "live", report.note
        assert [line["epoch"] for line in lines if line["event"] == "epoch"] == list(range(1, 26))
        assert set(adapter.memory_ids) == set(explained.batch.promoted)
        assert adapter.metrics["probe_token_accuracy_after"] > adapter.metrics["probe_token_accuracy_before"] + 0.3
        assert (Path(adapter.artifact_uri) / "adapter_config.json").is_file()
        assert report.dataset is not None
        records, probes = read_records(Path(report.dataset.path))
        assert {r.memory_id for r in records} == set(adapter.memory_ids) == {p.memory_id for p in probes}

        again = await promoter.promote(window)
        assert again.adapter is not None and again.adapter.adapter_id == adapter.adapter_id
        assert "already holds" in again.note
        assert (await registry.served(NS, [adapter.adapter_id])).memory_ids == set(adapter.memory_ids)

        erased = adapter.memory_ids[0]
        stale = await StaleAdapters(registry, JetStreamPublisher(broker)).memories_changed(
            NS, [erased], "erased on request"
        )
        assert [a.adapter_id for a in stale] == [adapter.adapter_id]
        assert (await registry.served(NS, [adapter.adapter_id])).memory_ids == frozenset()
        client = await nats.connect(nats_server.url)
        try:
            sub = await client.jetstream().subscribe(Subjects.DREAM_REQUESTED_ALL, stream=DREAM_STREAM.name)
            request = DreamRequested.model_validate_json((await sub.next_msg(timeout=5)).data)
            assert request.jobs == ("promote",) and request.run_id == f"retrain-{adapter.adapter_id}"
        finally:
            await client.close()

        # The retrain: the stale adapter's weights and its dataset (which hold the erased memory's text)
        # leave the disk before anything is trained again.
        files = (str(Path(adapter.artifact_uri).parent), report.dataset.path)
        assert on_disk(*files) == [True, True]
        assert await promoter.collect_files(NS) == 2
        assert on_disk(*files) == [False, False]
    finally:
        await close_broker(broker)
        await store.aclose()
        await graph.aclose()
