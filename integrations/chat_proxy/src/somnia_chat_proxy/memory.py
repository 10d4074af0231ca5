"""Somnia for one call: which namespace and key, what to inject, and capturing what was said. Memory never
breaks a chat: when Somnia cannot answer, the call goes on without it (and says so in a header)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from somnia_client import AsyncMemory, ClientSettings, SomniaError, Turn

from somnia_chat_proxy.conversation import session_id_for, text_of
from somnia_chat_proxy.settings import ProxySettings

log = logging.getLogger("somnia.chat_proxy")


class Memories:
    def __init__(self, settings: ProxySettings, client: ClientSettings) -> None:
        self.settings, self.client = settings, client
        self._clients: dict[tuple[str, str], AsyncMemory] = {}
        self._started: set[tuple[str, str]] = set()
        self._captures: set[asyncio.Task[None]] = set()

    def memory_for(self, headers: Any) -> AsyncMemory:
        """X-Somnia-Key is the caller's Somnia key (else the proxy's). The namespace is the one mapped to that
        key (SOMNIA_PROXY_NAMESPACE_BY_KEY), else X-Somnia-Namespace when allowed, else SOMNIA_NAMESPACE;
        Somnia checks the key against it either way."""
        key = headers.get("x-somnia-key", "").strip() or self.client.credential()
        namespace = self.client.namespace
        key_id = key.removeprefix("somnia_").partition("_")[0] if key.startswith("somnia_") else ""
        if key_id in self.settings.namespace_by_key:
            namespace = self.settings.namespace_by_key[key_id]
        elif self.settings.allow_namespace_header and headers.get("x-somnia-namespace"):
            namespace = headers["x-somnia-namespace"].strip()
        if (key, namespace) not in self._clients:
            self._clients[(key, namespace)] = AsyncMemory(
                settings=self.client.model_copy(update={"api_key": key, "namespace": namespace})
            )
        return self._clients[(key, namespace)]

    async def context(self, memory: AsyncMemory, messages: list[dict[str, Any]]) -> tuple[str, str]:
        """(session id, memory text to inject): the warm context on a conversation's first call, then what
        Somnia recalls for the newest user message, under the token budget."""
        session_id = session_id_for(memory.namespace, messages)
        first_user = next((text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")[:2000]
        last_user = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
        new = (memory.namespace, session_id) not in self._started

        async def opening() -> str:
            """The warm context, on the conversation's first call only."""
            if not new:
                return ""
            agent = self.settings.agent
            _, warm = await asyncio.gather(
                memory.start_session(session_id=session_id, agent=agent, opening=first_user),
                memory.warm(session_id, agent=agent, opening=first_user),
            )
            return warm.rendered.strip()

        async def recalled() -> str:
            if not last_user.strip() or self.settings.budget_tokens <= 0:
                return ""
            found = await memory.recall(last_user, k=self.settings.recall_k, token_budget=self.settings.budget_tokens)
            lines = [f"- {m.text}" + (f" [{m.status}]" if m.status else "") for m in found]
            return "Recalled for this message:\n" + "\n".join(lines) if lines else ""

        # Independent calls, so they run together: the call waits for the slowest, not for the sum.
        parts = await asyncio.gather(opening(), recalled())
        if new:
            self._started.add((memory.namespace, session_id))
        return session_id, "\n\n".join(p for p in parts if p)

    def capture_later(self, memory: AsyncMemory, session_id: str, turns: list[Turn]) -> None:
        """Capture after the reply went out, so the caller never waits on it."""
        if not turns:
            return
        task = asyncio.create_task(self._capture(memory, session_id, turns))
        self._captures.add(task)
        task.add_done_callback(self._captures.discard)

    async def _capture(self, memory: AsyncMemory, session_id: str, turns: list[Turn]) -> None:
        try:
            await memory.capture_many(session_id, turns)
        except SomniaError as exc:
            log.warning("could not capture %d turn(s) of %s: %s", len(turns), session_id, exc)

    async def drain(self) -> None:
        if self._captures:
            await asyncio.gather(*self._captures, return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        for client in self._clients.values():
            await client.close()
