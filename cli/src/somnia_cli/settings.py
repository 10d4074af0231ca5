"""The CLI's settings, from SOMNIA_* variables; every default works on one machine."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return Path.home() / ".local" / "share" / "somnia"


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="data, logs and NATS storage for `somnia up`")
    namespace: str = "local/agent/user"
    host: str = "127.0.0.1"
    nats_port: int = 14222
    nats_monitor_port: int = 18222
    capture_port: int = 50051
    recall_port: int = 50052
    # Recall processes behind recall_port (the kernel spreads connections across them, SO_REUSEPORT):
    # one per core a machine can give recall; each holds its own model (about 320 MiB).
    recall_workers: int = Field(default=1, ge=1, le=64)
    embedding_health_port: int = 50053
    graph_health_port: int = 50054
    cache_warming_health_port: int = 50055
    dreaming_health_port: int = 50056
    forgetting_health_port: int = 50057
    # How the CLI proves who it is: SOMNIA_API_KEY (an API key or a JWT), else the local key `somnia up`
    # made under <home>/auth. SOMNIA_CA_FILE turns on TLS; a client certificate and key add mTLS.
    api_key: str = Field(default="", repr=False)
    ca_file: Path | None = None
    client_cert_file: Path | None = None
    client_key_file: Path | None = None

    # The servers' key file (SOMNIA_AUTH_API_KEYS_FILE) when the operator brings one; else <home>/auth.
    auth_api_keys_file: Path | None = None

    @property
    def auth_dir(self) -> Path:
        return self.home / "auth"

    @property
    def keys_file(self) -> Path:
        return self.auth_api_keys_file or self.auth_dir / "api-keys.json"

    @property
    def capture_address(self) -> str:
        return f"{self.host}:{self.capture_port}"

    @property
    def recall_address(self) -> str:
        return f"{self.host}:{self.recall_port}"
