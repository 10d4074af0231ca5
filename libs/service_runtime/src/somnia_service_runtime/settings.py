"""The settings every service process has, once: where NATS is, where health and metrics are served, how
long a shutdown may take; and, for consumers, how their durable consumers take and retry messages.

Each service subclasses with its own env prefix (`SOMNIA_GRAPH_SERVICE_`, ...). The shared fields also
read one machine-wide variable when the service's own is unset, so that one setting moves every service:
SOMNIA_NATS_URL, SOMNIA_GRPC_HOST (0.0.0.0 in containers), SOMNIA_METRICS_PORT, SOMNIA_GC_FREEZE and
SOMNIA_BLAS_THREADS.
"""

from __future__ import annotations

from copy import copy
from typing import Any, ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from somnia_bus import ConsumerSpec, Retry
from somnia_contracts import StreamSpec


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # field -> the machine-wide variable it falls back to.
    SHARED_ENV: ClassVar[dict[str, str]] = {
        "nats_url": "SOMNIA_NATS_URL",
        "health_host": "SOMNIA_GRPC_HOST",
        "host": "SOMNIA_GRPC_HOST",
        "metrics_port": "SOMNIA_METRICS_PORT",
        "gc_freeze": "SOMNIA_GC_FREEZE",
        "blas_threads": "SOMNIA_BLAS_THREADS",
    }

    nats_url: str = "nats://127.0.0.1:14222"
    # Prometheus /metrics; 0 (the default on one machine) serves none.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    shutdown_grace_s: float = Field(default=15.0, gt=0, description="work in flight may finish")
    log_level: str = Field(default="INFO", pattern=r"(?i)^(debug|info|warning|error)$")
    # heap.py: what a service holds for life is kept out of full garbage collections (their pauses
    # were most of recall's tail latency).
    gc_freeze: bool = True
    gc_settle_s: float = Field(default=120.0, ge=0, description="the second freeze, after lazy loads")
    # threads.py: numpy's BLAS threads spin between products and burn the cores the other services
    # need; one thread each by default, 0 for the library's own default (a thread per core).
    blas_threads: int = Field(default=1, ge=0, le=256)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        prefix = str(cls.model_config.get("env_prefix", ""))
        if not prefix:  # a base without a service of its own (ConsumerSettings)
            return
        fields = cls.__pydantic_fields__
        for name, machine_wide in cls.SHARED_ENV.items():
            if name in fields:
                # A copy: the parent's FieldInfo is shared with every sibling service's settings.
                field = copy(fields[name])
                field.validation_alias = AliasChoices(f"{prefix}{name}".upper(), machine_wide, name)
                fields[name] = field
        cls.model_rebuild(force=True)


class ConsumerSettings(ServiceSettings):
    """A service that consumes JetStream: its durable name and how it takes and retries batches, and the
    gRPC health endpoint it serves beside them (recall and capture serve health on their API port)."""

    health_host: str = "127.0.0.1"
    health_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")

    durable: str = "somnia"
    batch_size: int = Field(default=64, ge=1, le=1024, description="messages pulled and handled together")
    batch_wait_s: float = Field(default=0.05, gt=0, description="longest wait to fill a batch")
    ack_wait_s: float = Field(default=60.0, gt=0, description="redelivery after a silent crash")
    max_deliver: int = Field(default=20, ge=1, description="attempts before a message is given up (logged)")
    max_backoff_s: float = Field(default=30.0, gt=0, description="longest delay before a failed message retries")

    @property
    def retry(self) -> Retry:
        return Retry(max_backoff_s=self.max_backoff_s, max_deliver=self.max_deliver)

    def consumer(
        self, stream: StreamSpec, subject: str, *, suffix: str = "", pending_batches: int = 16
    ) -> ConsumerSpec:
        """The durable consumer of `subject` (named `<durable><suffix>`), at most `pending_batches`
        batches delivered and not yet acked."""
        return ConsumerSpec(
            stream=stream,
            subject=subject,
            durable=self.durable + suffix,
            batch_size=self.batch_size,
            batch_wait_s=self.batch_wait_s,
            ack_wait_s=self.ack_wait_s,
            max_ack_pending=self.batch_size * pending_batches,
        )
