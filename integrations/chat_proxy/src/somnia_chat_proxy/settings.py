"""The proxy's settings, from SOMNIA_PROXY_* variables; Somnia's address and key from the SDK's SOMNIA_*."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProxySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_PROXY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8766, ge=0, le=65535)
    # The real model endpoint: requests go on to <upstream>/chat/completions with the caller's own
    # Authorization header (its model key), unchanged but for the injected memory.
    upstream: str = ""
    upstream_timeout_s: float = Field(default=120.0, gt=0)
    # Tokens of memory injected per call (warm context on a conversation's first call, then recalls).
    budget_tokens: int = Field(default=600, ge=0)
    recall_k: int = Field(default=8, ge=1, le=50)
    agent: str = "chat-proxy"
    # Callers may name their namespace in X-Somnia-Namespace only when this is on; Somnia still checks
    # the caller's key (X-Somnia-Key) against it. Off: every call uses SOMNIA_NAMESPACE.
    allow_namespace_header: bool = False
    # Namespaces by the caller's Somnia key id (the <id> of somnia_<id>_<secret>), as JSON:
    # '{"k3f9": "acme/support-bot/alice"}'. A mapped key always gets its namespace (the header cannot
    # override it); Somnia still checks the key's grants.
    namespace_by_key: dict[str, str] = Field(default_factory=dict)
