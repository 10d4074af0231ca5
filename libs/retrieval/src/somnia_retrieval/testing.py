"""Test support: a small namespace of real memories (the real embedder, real stores, the offline
extractor) that recall, cache-warming and this lib's tests all rank against."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from somnia_contracts import memory_id_for
from somnia_embedder import Embedder
from somnia_extraction import OfflineExtractor
from somnia_graph_store import LinkWriter, Mention, SessionNode, TurnNode
from somnia_memory_store import MemoryRecord, MemoryStore

NS = "acme/helper/alice"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
SESSIONS = {
    "s1": [
        ("user", "I always want answers in metric units, never imperial."),
        ("assistant", "Understood, metric units from now on."),
        ("user", "My sister Hannah is getting married in Porto next June."),
    ],
    "s2": [
        ("user", "Our staging deploy keeps failing because the disk on build-07 is full."),
        ("assistant", "Clearing the docker cache on build-07 freed 40 GB and the deploy passed."),
        ("user", "Decision: we never deploy on Fridays again."),
    ],
    "s3": [
        ("user", "Hannah asked me to give a toast at the wedding."),
        ("assistant", "A short story about Hannah and a thank-you works well for a toast."),
    ],
}


def turn_id(session: str, n: int) -> str:
    return f"{session}-t{n}"


async def seed_namespace(store: MemoryStore, graph: LinkWriter, embedder: Embedder, namespace: str = NS) -> None:
    """Write SESSIONS as memories, turns, sessions of agent "helper" and extracted entity mentions."""
    extractor = OfflineExtractor()
    rows = [
        (session, n, role, text, T0 + timedelta(days=day, minutes=n))
        for day, (session, turns) in enumerate(SESSIONS.items())
        for n, (role, text) in enumerate(turns)
    ]
    vectors = await embedder.embed([text for _, _, _, text, _ in rows])
    await store.upsert(
        [
            MemoryRecord(
                memory_id=memory_id_for(namespace, session, turn_id(session, n), 0),
                namespace=namespace,
                text=text,
                session_id=session,
                turn_id=turn_id(session, n),
                role=role,
                occurred_at=at,
                recorded_at=at,
                embedder=embedder.name,
                vector=vectors[i],
            )
            for i, (session, n, role, text, at) in enumerate(rows)
        ]
    )
    await graph.upsert_sessions(
        [
            SessionNode(namespace=namespace, session_id=s, agent="helper", started_at=T0 + timedelta(days=d))
            for d, s in enumerate(SESSIONS)
        ]
    )
    await graph.upsert_turns(
        [
            TurnNode(namespace=namespace, session_id=session, turn_id=turn_id(session, n), role=role, occurred_at=at)
            for session, n, role, _, at in rows
        ]
    )
    extractions = await extractor.extract([text for _, _, _, text, _ in rows], [at for *_, at in rows])
    await graph.upsert_mentions(
        [
            Mention(
                namespace=namespace,
                session_id=session,
                turn_id=turn_id(session, n),
                entity_key=e.key,
                name=e.name,
                kind=e.kind,
            )
            for (session, n, _, _, _), found in zip(rows, extractions, strict=True)
            for e in found.entities
        ]
    )
