"""Where Somnia is and who the caller is, from arguments or SOMNIA_* environment variables (the same ones
the CLI reads), with defaults that reach `somnia up` on this machine."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return Path.home() / ".local" / "share" / "somnia"


class ClientSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_", extra="ignore")

    namespace: str = ""
    # host:port of each API; empty means host and port below (the variables `somnia up` reads too).
    capture_address: str = ""
    recall_address: str = ""
    host: str = "127.0.0.1"
    capture_port: int = Field(default=50051, ge=1, le=65535)
    recall_port: int = Field(default=50052, ge=1, le=65535)
    # A key (`somnia keys create`) or a JWT. Empty: the local key `somnia up` made under <home>/auth.
    api_key: str = Field(default="", repr=False)
    home: Path = Field(default_factory=default_home)
    # TLS when a CA file is set; a client certificate and key add mTLS.
    ca_file: Path | None = None
    client_cert_file: Path | None = None
    client_key_file: Path | None = None
    timeout_s: float = Field(default=10.0, gt=0, description="deadline of one attempt")
    forget_timeout_s: float = Field(default=120.0, gt=0, description="erasure reaches every store")
    max_attempts: int = Field(default=4, ge=1, description="tries of a call that met UNAVAILABLE")
    backoff_initial_s: float = Field(default=0.2, gt=0)
    backoff_max_s: float = Field(default=5.0, gt=0)

    def capture_target(self) -> str:
        return self.capture_address or f"{self.host}:{self.capture_port}"

    def recall_target(self) -> str:
        return self.recall_address or f"{self.host}:{self.recall_port}"

    def credential(self) -> str:
        if self.api_key:
            return self.api_key
        try:
            return (self.home / "auth" / "local.key").read_text().strip()
        except OSError:
            return ""
