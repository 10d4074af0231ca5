"""The MCP server's settings, from SOMNIA_MCP_* variables. Where Somnia is and which key to use come from
the SDK's own SOMNIA_* variables (SOMNIA_NAMESPACE, SOMNIA_API_KEY, SOMNIA_CAPTURE_ADDRESS, ...)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class McpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_MCP_", extra="ignore")

    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    path: str = "/mcp"
    # The agent name sessions are started with (what Somnia's warm packs learn per agent).
    agent: str = "mcp"
    default_k: int = Field(default=5, ge=1, le=100)
    # Over HTTP each caller sends its own Somnia key (Authorization: Bearer ...), and Somnia checks its
    # grants. Only with this set does a caller without a header fall back to the server's own key.
    http_allow_server_key: bool = False
