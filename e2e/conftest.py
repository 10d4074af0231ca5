"""Fixtures shared by the whole-system tests."""

from .client_world import world  # noqa: F401 - a running Somnia for the SDK and MCP tests
