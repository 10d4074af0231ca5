"""`somnia-mcp` (or `python -m somnia_mcp`): stdio by default, streamable HTTP with SOMNIA_MCP_TRANSPORT=http."""

from __future__ import annotations

import logging
import sys

from somnia_client import ClientSettings

from somnia_mcp.server import create_server
from somnia_mcp.settings import McpSettings


def run() -> None:
    settings = McpSettings()
    # stdout is the protocol on stdio: logs go to stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        mcp, _ = create_server(settings, ClientSettings())
    except ValueError as exc:
        sys.exit(f"somnia-mcp: {exc}")
    mcp.run(transport="stdio" if settings.transport == "stdio" else "streamable-http")
