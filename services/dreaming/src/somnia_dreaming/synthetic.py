"""Synthetic agent sessions with known ground truth, for testing that the jobs find what was planted and
for benchmarking a run at scale without a data set.

Planted: procedures (a problem topic, then a fixed tool sequence, succeeding at a known rate) and topic
groups (words that co-occur). Everything else is noise: random tools, random topics. Vectors are drawn
around one centre per topic group (a stand-in for the embedder, named as such: the scale benchmark
measures the dream jobs, not the embedder), so clusters have a known answer too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from somnia_contracts import memory_id_for
from somnia_graph_store import LinkWriter, Mention, SessionNode, ToolUse, TurnNode
from somnia_memory_store import MemoryRecord, MemoryStore

SYNTHETIC_EMBEDDER = "synthetic-topic-centres"
NOISE_TOOLS = tuple(f"tool_{i:02d}" for i in range(24))
NOISE_TOPICS = tuple(f"noise topic {i:03d}" for i in range(400))


@dataclass(frozen=True)
class PlantedProcedure:
    problem: str
    tools: tuple[str, ...]
    success_rate: float


@dataclass(frozen=True)
class PlantedGroup:
    name: str
    topics: tuple[str, ...]


PROCEDURES = (
    PlantedProcedure("disk full", ("df", "prune_logs", "restart_service"), 0.95),
    PlantedProcedure("tls expired", ("openssl_check", "renew_cert", "reload_proxy"), 0.85),
    PlantedProcedure("slow query", ("explain_query", "add_index"), 0.3),
    PlantedProcedure("flaky test", ("rerun_tests", "bisect_commits", "quarantine_test"), 0.7),
)
GROUPS = (
    PlantedGroup("billing", ("invoice", "refund", "stripe webhook", "tax rate")),
    PlantedGroup("search", ("elasticsearch", "reindex", "query latency", "synonyms")),
    PlantedGroup("mobile", ("app store", "push notification", "crash report", "release train")),
)


@dataclass(frozen=True)
class SyntheticTurn:
    turn_id: str
    role: str
    text: str
    occurred_at: datetime
    tool: str = ""
    topics: tuple[str, ...] = ()
    group: int = -1


@dataclass(frozen=True)
class SyntheticSession:
    session_id: str
    agent: str
    outcome: str
    turns: tuple[SyntheticTurn, ...]
    procedure: int = -1  # index into PROCEDURES, -1 when none was planted
    group: int = -1


@dataclass
class GroundTruth:
    procedure_sessions: list[int] = field(default_factory=lambda: [0] * len(PROCEDURES))
    procedure_successes: list[int] = field(default_factory=lambda: [0] * len(PROCEDURES))


def _add(
    turns: list[SyntheticTurn],
    at: datetime,
    role: str,
    text: str,
    *,
    tool: str = "",
    topics: Sequence[str] = (),
    group: int = -1,
) -> None:
    occurred = at + timedelta(seconds=30 * len(turns))
    turns.append(SyntheticTurn(f"t{len(turns):02d}", role, text, occurred, tool, tuple(topics), group))


def generate(
    sessions: int,
    *,
    seed: int = 5,
    start: datetime | None = None,
    planted_share: float = 0.4,
    group_share: float = 0.4,
    truth: GroundTruth | None = None,
) -> Iterator[SyntheticSession]:
    """Sessions one at a time (a generator: 10,000 sessions never sit in memory together)."""
    rng = random.Random(seed)
    clock = start or datetime.now(UTC) - timedelta(days=6)
    for n in range(sessions):
        at = clock + timedelta(minutes=n * 7 % (6 * 24 * 60), seconds=n)
        turns: list[SyntheticTurn] = []

        procedure, group, outcome = -1, -1, rng.choice(("succeeded", "failed"))
        if rng.random() < planted_share:
            procedure = rng.randrange(len(PROCEDURES))
            planted = PROCEDURES[procedure]
            _add(
                turns,
                at,
                "user",
                f"Help: we have a {planted.problem} problem on {rng.choice(NOISE_TOPICS)}.",
                topics=[planted.problem],
            )
            for step in planted.tools:
                if rng.random() < 0.15:  # noise between the steps: the sequence is not always contiguous
                    noise = rng.choice(NOISE_TOOLS)
                    _add(turns, at, "assistant", f"Calling {noise}.", tool=noise)
                _add(
                    turns,
                    at,
                    "assistant",
                    f"Calling {step} for the {planted.problem}.",
                    tool=step,
                    topics=[planted.problem],
                )
            outcome = "succeeded" if rng.random() < planted.success_rate else "failed"
            if truth is not None:
                truth.procedure_sessions[procedure] += 1
                truth.procedure_successes[procedure] += outcome == "succeeded"
        else:
            topic = rng.choice(NOISE_TOPICS)
            _add(turns, at, "user", f"Question about {topic}.", topics=[topic])
            for tool in rng.sample(NOISE_TOOLS, 3):
                _add(turns, at, "assistant", f"Calling {tool}.", tool=tool)
        if rng.random() < group_share:
            group = rng.randrange(len(GROUPS))
            chosen = rng.sample(GROUPS[group].topics, 3)
            _add(
                turns,
                at,
                "user",
                f"Also, about {chosen[0]} and {chosen[1]}: what about {chosen[2]}?",
                topics=chosen,
                group=group,
            )
            _add(turns, at, "assistant", f"For {chosen[0]}, check {chosen[1]} first.", topics=chosen[:2], group=group)
        _add(turns, at, "user", rng.choice(("Thanks.", "OK, that is all.", "Great.")))
        yield SyntheticSession(f"syn-{n:06d}", f"agent-{n % 5}", outcome, tuple(turns), procedure, group)


class TopicVectors:
    """Stand-in vectors: one random centre per planted group, noise elsewhere."""

    def __init__(self, dimension: int = 384, seed: int = 3, spread: float = 0.35) -> None:
        self._rng = np.random.default_rng(seed)
        self._centres = self._unit(self._rng.normal(size=(len(GROUPS), dimension)))
        self._dimension, self._spread = dimension, spread

    @staticmethod
    def _unit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        unit: npt.NDArray[np.float32] = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
        return unit

    def of(self, turn: SyntheticTurn) -> npt.NDArray[np.float32]:
        noise = self._rng.normal(size=self._dimension)
        if turn.group < 0:
            return self._unit(noise)
        return self._unit(self._centres[turn.group] + self._spread * self._unit(noise))


async def write(
    namespace: str,
    sessions: Sequence[SyntheticSession],
    graph: LinkWriter,
    store: MemoryStore,
    vectors: TopicVectors,
    *,
    embedder: str = SYNTHETIC_EMBEDDER,
) -> None:
    """Write sessions straight to both stores, as capture, embedding and graph would have."""
    recorded = datetime.now(UTC)
    await graph.upsert_sessions(
        [SessionNode(namespace=namespace, session_id=s.session_id, agent=s.agent, outcome=s.outcome) for s in sessions]
    )
    turns = [(s, t) for s in sessions for t in s.turns]
    await graph.upsert_turns(
        [
            TurnNode(
                namespace=namespace, session_id=s.session_id, turn_id=t.turn_id, role=t.role, occurred_at=t.occurred_at
            )
            for s, t in turns
        ]
    )
    tool_uses = [
        ToolUse(namespace=namespace, session_id=s.session_id, turn_id=t.turn_id, tool=t.tool)
        for s, t in turns
        if t.tool
    ]
    if tool_uses:
        await graph.upsert_tool_uses(tool_uses)
    mentions = [
        Mention(namespace=namespace, session_id=s.session_id, turn_id=t.turn_id, entity_key=topic, name=topic)
        for s, t in turns
        for topic in t.topics
    ]
    if mentions:
        await graph.upsert_mentions(mentions)
    await store.upsert(
        [
            MemoryRecord(
                memory_id=memory_id_for(namespace, s.session_id, t.turn_id, 0),
                namespace=namespace,
                text=t.text,
                session_id=s.session_id,
                turn_id=t.turn_id,
                role=t.role,
                occurred_at=t.occurred_at,
                recorded_at=recorded,
                embedder=embedder,
                vector=vectors.of(t),
            )
            for s, t in turns
        ]
    )
