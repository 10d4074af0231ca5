"""Erasure's reach into the event streams: a subject erased from every stream that carries memory
content, and single messages erased where a subject also holds what stays. NATS overwrites an erased
message on disk (a purge would leave it in the block file until compaction)."""

from __future__ import annotations

import json

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from somnia_bus import erase_subject
from somnia_contracts import CONTENT_STREAMS, DREAM_STREAM, MEMORY_STREAM, SESSION_STREAM, Subjects


class StreamScrubber:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def erase(self, subject: str) -> int:
        """`subject`'s messages out of every stream that carries memory content."""
        return sum([await erase_subject(self._js, spec.name, subject) for spec in CONTENT_STREAMS])

    async def delete_turn_messages(self, namespace: str, turns: set[tuple[str, str]], memory_ids: set[str]) -> int:
        """A single turn's messages among its session's: the turn itself, its memory.indexed event and
        feedback on its memories."""
        deleted = 0
        for session in {s for s, _ in turns}:
            turn_ids = {t for s, t in turns if s == session}
            for stream, subject in (
                (SESSION_STREAM.name, Subjects.session_turn(namespace, session)),
                (MEMORY_STREAM.name, Subjects.memory_indexed(namespace, session)),
                (MEMORY_STREAM.name, Subjects.memory_feedback(namespace, session)),
            ):
                seq = 1
                while True:
                    try:
                        msg = await self._js.get_msg(stream, seq=seq, subject=subject, next=True)
                    except NotFoundError:
                        break
                    if msg.seq is None:
                        break
                    body = json.loads(msg.data or b"{}")
                    if body.get("turn_id") in turn_ids or body.get("memory_id") in memory_ids:
                        await self._js.delete_msg(stream, msg.seq)
                        deleted += 1
                    seq = msg.seq + 1
        return deleted

    async def delete_dream_messages(self, namespace: str, subject: str) -> int:
        """The namespace's dream events (patterns, communities, insights found) that name the subject."""
        needle = " ".join(subject.lower().split())
        deleted, seq = 0, 1
        while True:
            try:
                msg = await self._js.get_msg(
                    DREAM_STREAM.name, seq=seq, subject=Subjects.of_namespace(namespace), next=True
                )
            except NotFoundError:
                return deleted
            if msg.seq is None:
                return deleted
            if needle in " ".join((msg.data or b"").decode(errors="replace").lower().split()):
                await self._js.delete_msg(DREAM_STREAM.name, msg.seq)
                deleted += 1
            seq = msg.seq + 1
