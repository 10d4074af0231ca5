"""The far end of the dream ladder, without torch: which memories earn a place in an adapter's weights
(the promotion rule), the dataset they are trained from, and the registry of adapters that forgetting
marks stale. The trainer (services/trainer) and the job that launches it (dreaming) build on these."""

from somnia_contracts import ADAPTERS_BUCKET

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
    HOLDING,
    AdapterRecord,
    AdapterRegistry,
    AdapterStatus,
    Served,
    adapter_key,
    serving_manifest,
)
from somnia_parametric.settings import DatasetSettings, PromotionSettings, TrainingSettings
from somnia_parametric.staleness import EventPublisher, StaleAdapters
from somnia_parametric.training import (
    RESULT_FILE,
    TERMINATION_LOG_BYTES,
    TrainingJob,
    TrainingResult,
    trainer_args,
)

__all__ = [
    "ADAPTERS_BUCKET",
    "HOLDING",
    "PROBE_PHRASINGS",
    "RESULT_FILE",
    "TERMINATION_LOG_BYTES",
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
    "EventPublisher",
    "Probe",
    "PromotedMemory",
    "PromotionSettings",
    "Served",
    "StaleAdapters",
    "TrainingJob",
    "TrainingResult",
    "TrainingSettings",
    "adapter_key",
    "build_records",
    "decide",
    "decide_batch",
    "read_records",
    "serving_manifest",
    "topic_of",
    "trainer_args",
    "write_dataset",
]
