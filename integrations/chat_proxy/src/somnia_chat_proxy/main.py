"""`somnia-chat-proxy` (or `python -m somnia_chat_proxy`): serve the proxy with uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn
from somnia_client import ClientSettings

from somnia_chat_proxy.app import create_app
from somnia_chat_proxy.settings import ProxySettings


def run() -> None:
    settings = ProxySettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        app = create_app(settings, ClientSettings())
    except ValueError as exc:
        sys.exit(f"somnia-chat-proxy: {exc}")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
