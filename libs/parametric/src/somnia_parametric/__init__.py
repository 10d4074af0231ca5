"""The far end of the dream ladder, without torch: which memories earn a place in an adapter's weights
(the promotion rule), the dataset they are trained from, and the registry of adapters that forgetting
marks stale. The trainer (services/trainer) and the job that launches it (dreaming) build on these."""

from somnia_parametric.dataset import (
    PROBE_PHRASINGS,
    TRAIN_PHRASINGS,
    ChatRecord,
    DatasetManifest,
    Probe,
    PromotedMemory,
    build_records,
    read_records,
    topic_of,
    write_dataset,
)
from somnia_parametric.promotion import BatchDecision, CandidateStats, Check, Decision, decide, decide_batch
from somnia_parametric.registry import (
    ADAPTERS_BUCKET,
    HOLDING,
    AdapterRecord,
    AdapterRegistry,
    AdapterStatus,
    adapter_key,
    serving_manifest,
)
from somnia_parametric.settings import DatasetSettings, PromotionSettings, TrainingSettings

__all__ = [
    "ADAPTERS_BUCKET",
    "HOLDING",
    "PROBE_PHRASINGS",
    "TRAIN_PHRASINGS",
    "AdapterRecord",
    "AdapterRegistry",
    "AdapterStatus",
    "BatchDecision",
    "CandidateStats",
    "ChatRecord",
    "Check",
    "DatasetManifest",
    "DatasetSettings",
    "Decision",
    "Probe",
    "PromotedMemory",
    "PromotionSettings",
    "TrainingSettings",
    "adapter_key",
    "build_records",
    "decide",
    "decide_batch",
    "read_records",
    "serving_manifest",
    "topic_of",
    "write_dataset",
]
