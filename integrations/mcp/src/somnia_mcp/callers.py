"""Who is calling, and so which Somnia client serves the call. Over stdio it is the one local user: the
server's own key. Over HTTP it is whoever sent the request: their `Authorization: Bearer <Somnia key or
token>` is passed on to Somnia, which checks it against its grants. The namespace always comes from
configuration, never from a tool argument."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from somnia_client import AsyncMemory, ClientSettings

from somnia_mcp.settings import McpSettings

# MCP sessions whose live-wake ids are kept; a server sees few at once, this bounds a long-lived one.
MAX_SESSIONS = 1000


class MissingCredentials(PermissionError):
    """An HTTP caller sent no key or token."""


@dataclass
class Callers:
    settings: McpSettings
    client: ClientSettings
    _by_key: dict[str, AsyncMemory] = field(default_factory=dict)
    # One Somnia session per MCP session (keyed by the MCP session object's id).
    sessions: dict[int, str] = field(default_factory=dict)
    # What live wake handed each MCP session, oldest first: never offered to it again.
    held: dict[int, dict[str, None]] = field(default_factory=dict)

    def held_by(self, session_key: int) -> dict[str, None]:
        """The ids live wake handed one MCP session; the oldest sessions' are dropped past MAX_SESSIONS."""
        if session_key not in self.held:
            while len(self.held) >= MAX_SESSIONS:
                del self.held[next(iter(self.held))]
            self.held[session_key] = {}
        return self.held[session_key]

    def memory_for(self, request: Any | None) -> AsyncMemory:
        key = self.client.credential()
        if self.settings.transport == "http":
            header = request.headers.get("authorization", "") if request is not None else ""
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                key = token.strip()
            elif not self.settings.http_allow_server_key:
                raise MissingCredentials(
                    "send your Somnia key or token as 'Authorization: Bearer <key>' (somnia keys create makes one)"
                )
        if key not in self._by_key:
            self._by_key[key] = AsyncMemory(settings=self.client.model_copy(update={"api_key": key}))
        return self._by_key[key]

    async def aclose(self) -> None:
        for memory in self._by_key.values():
            await memory.close()
        self._by_key.clear()
