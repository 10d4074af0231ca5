"""The `promote` dream job: candidates -> the promotion rule -> a versioned dataset -> a training run ->
an adapter in the registry. Safe to repeat: the same promoted memories give the same dataset version,
an adapter already live for it is kept, and one left `training` by a crash is trained (or, as a
Kubernetes Job, watched) again under the same id."""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from somnia_contracts import namespace_key_prefix
from somnia_memory_store import MemoryRecord, MemoryStore
from somnia_parametric import (
    HOLDING,
    AdapterRecord,
    AdapterRegistry,
    BatchDecision,
    DatasetManifest,
    DatasetSettings,
    PromotionSettings,
    TrainingJob,
    TrainingSettings,
    decide_batch,
    write_dataset,
)
from somnia_tokens import TokenCounter

from somnia_dreaming.models import DreamWindow
from somnia_dreaming.parametric.candidates import CandidateReader, Candidates, promoted_memory
from somnia_dreaming.parametric.launchers import Progress, TrainingLauncher
from somnia_dreaming.parametric.settings import LauncherSettings
from somnia_dreaming.ports import DreamingGraph

log = logging.getLogger("somnia.dreaming")


@dataclass(frozen=True)
class ParametricSettings:
    promotion: PromotionSettings
    dataset: DatasetSettings
    training: TrainingSettings
    launcher: LauncherSettings

    @classmethod
    def from_env(cls) -> ParametricSettings:
        return cls(PromotionSettings(), DatasetSettings(), TrainingSettings(), LauncherSettings())


@dataclass(frozen=True)
class Explained:
    batch: BatchDecision
    candidates: Candidates


@dataclass(frozen=True)
class PromotionReport:
    explained: Explained
    note: str
    dataset: DatasetManifest | None = None
    adapter: AdapterRecord | None = None


class Promoter:
    def __init__(
        self,
        store: MemoryStore,
        graph: DreamingGraph,
        tokens: TokenCounter,
        launcher: TrainingLauncher,
        settings: ParametricSettings,
        registry: AdapterRegistry | None = None,
    ) -> None:
        self._reader = CandidateReader(store, graph, tokens)
        self._launcher, self._settings, self._registry = launcher, settings, registry

    @property
    def epochs(self) -> int:
        return self._settings.training.epochs

    async def explain(self, window: DreamWindow, now: datetime | None = None) -> Explained:
        explained, _ = await self._explained(window, now)
        return explained

    async def _explained(self, window: DreamWindow, now: datetime | None) -> tuple[Explained, dict[str, MemoryRecord]]:
        """The rule's decisions, and the candidates' records (what a dataset is written from)."""
        candidates, records = await self._reader.read(window, min_fact_uses=self._settings.promotion.min_sessions)
        batch = decide_batch(
            candidates.stats,
            self._settings.promotion,
            sessions_per_day=candidates.sessions_per_day,
            now=now or datetime.now(UTC),
        )
        return Explained(batch, candidates), records

    async def promote(
        self, window: DreamWindow, *, now: datetime | None = None, on_progress: Progress | None = None
    ) -> PromotionReport:
        ns = window.namespace
        if self._registry is not None:
            await self.collect_files(ns)
        explained, records = await self._explained(window, now)
        batch = explained.batch
        if not batch.train:
            return PromotionReport(explained, f"no adapter: {batch.reason}")
        if self._registry is None:
            return PromotionReport(explained, "no adapter: the registry needs NATS (run without --no-bus)")
        memories = [promoted_memory(records[memory_id]) for memory_id in batch.promoted]
        manifest = write_dataset(ns, memories, self._settings.launcher.datasets_dir, self._settings.dataset)
        known = [a for a in await self._registry.adapters(ns) if a.dataset_version == manifest.version]
        live = next((a for a in known if a.status == "live"), None)
        if live is not None:
            return PromotionReport(explained, f"adapter {live.adapter_id} already holds these memories", manifest, live)
        pending = next((a for a in known if a.status == "training"), None)
        record = pending or await self._register(ns, manifest)
        out_dir = self._settings.launcher.adapters_dir / namespace_key_prefix(ns) / record.adapter_id
        job = TrainingJob(ns, record.adapter_id, Path(manifest.path), out_dir, self._settings.training)
        log.info(
            "training adapter %s of %s on %d memories (%s)", record.adapter_id, ns, len(memories), self._launcher.name
        )
        result = await self._launcher.run(job, on_progress)
        if not result.ok:
            failed = await self._registry.update(
                ns, record.adapter_id, only_from=frozenset({"training"}), status="failed", error=result.error
            )
            return PromotionReport(explained, f"training failed: {result.error}", manifest, failed)
        done = await self._registry.update(
            ns,
            record.adapter_id,
            only_from=frozenset({"training"}),
            status="live",
            metrics=result.metrics,
            artifact_uri=result.adapter_dir,
        )
        if done is None or done.status != "live":  # forgotten while it trained: it stays stale
            return PromotionReport(explained, f"adapter {record.adapter_id} went stale while training", manifest, done)
        for older in await self._registry.live(ns):
            if older.adapter_id != done.adapter_id:
                await self._registry.update(ns, older.adapter_id, only_from=frozenset({"live"}), status="retired")
        note = (
            f"adapter {done.adapter_id}: {len(memories)} memories, probes "
            f"{result.metrics.get('probe_token_accuracy_before', 0):.2f} -> "
            f"{result.metrics.get('probe_token_accuracy_after', 0):.2f} token accuracy"
        )
        return PromotionReport(explained, note, manifest, done)

    async def collect_files(self, ns: str) -> int:
        """Delete the namespace's datasets and adapter files that no training or live adapter needs:
        a stale adapter's weights and its dataset hold what was erased or taken back, and must not
        outlive it on disk (an erasure asks for a promote run at once, which starts here). Returns how
        many directories went."""
        assert self._registry is not None
        held = [a for a in await self._registry.adapters(ns) if a.status in HOLDING]
        keep_datasets = {a.dataset_version for a in held}
        keep_adapters = {a.adapter_id for a in held}
        prefix = namespace_key_prefix(ns)
        removed = await asyncio.to_thread(
            _remove_unneeded,
            [
                (self._settings.launcher.datasets_dir / prefix, keep_datasets),
                (self._settings.launcher.adapters_dir / prefix, keep_adapters),
            ],
        )
        if removed:
            log.info("removed %d dataset and adapter directories of %s that no live adapter needs", removed, ns)
        return removed

    async def _register(self, ns: str, manifest: DatasetManifest) -> AdapterRecord:
        assert self._registry is not None
        version = await self._registry.next_version(ns)
        now = datetime.now(UTC)
        record = AdapterRecord(
            namespace=ns,
            adapter_id=f"v{version}-{manifest.version[:8]}",
            version=version,
            base_model=self._settings.training.base_model,
            dataset_version=manifest.version,
            memory_ids=manifest.memory_ids,
            launcher=self._launcher.name,
            created_at=now,
            updated_at=now,
        )
        await self._registry.put(record)
        return record


def _remove_unneeded(roots: list[tuple[Path, set[str]]]) -> int:
    removed = 0
    for root, keep in roots:
        for directory in sorted(root.iterdir()) if root.is_dir() else []:
            if directory.is_dir() and directory.name not in keep:
                shutil.rmtree(directory)
                removed += 1
    return removed
