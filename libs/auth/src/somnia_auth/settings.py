"""How a server authenticates callers (SOMNIA_AUTH_*) and serves TLS (SOMNIA_TLS_*); the same
variables for every service, so one Secret configures a deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_AUTH_", extra="ignore")

    # `off` serves every namespace to anyone who can connect: only for a closed test network.
    mode: Literal["on", "off"] = "on"
    api_keys_file: Path | None = Field(default=None, description="hashed keys; `somnia keys create` writes it")
    jwt_issuer: str = ""
    jwt_audience: str = "somnia"
    jwks_file: Path | None = None
    jwks_url: str = ""
    jwt_algorithms: list[str] = ["RS256", "ES256", "EdDSA"]
    jwt_leeway_s: float = Field(default=30.0, ge=0)
    jwt_namespaces_claim: str = "namespaces"
    jwt_scopes_claim: str = "scope"
    client_certs_file: Path | None = Field(default=None, description="mTLS identity -> grant")
    # Rate limits (token buckets per replica); 0 turns one off.
    caller_rate: float = Field(default=1000.0, ge=0, description="calls per second per caller")
    caller_burst: int = Field(default=2000, ge=0)
    namespace_rate: float = Field(default=300.0, ge=0, description="calls per second per namespace")
    namespace_burst: int = Field(default=600, ge=0)


class TlsSettings(BaseSettings):
    """Server side: its certificate and key. With `client_ca_file` every client must present a certificate
    that CA signed (mTLS): gRPC Python cannot ask for one without requiring it."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_TLS_", extra="ignore")

    cert_file: Path | None = None
    key_file: Path | None = None
    client_ca_file: Path | None = None
    # With TLS on, health is served in plaintext on this port for probes that cannot speak TLS.
    health_port: int = Field(default=0, ge=0, le=65535, description="0: health stays on the API port only")

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None
