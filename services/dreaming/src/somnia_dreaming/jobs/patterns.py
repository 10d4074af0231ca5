"""Mine session patterns: recurring tool sequences (PrefixSpan), recurring problem -> resolution pairs
(the topics a session opened with -> the tools it then used), and recurring topics across sessions.

Support counts sessions. Confidence is P(last step | the steps before it) for a sequence,
P(resolution | problem) for a pair, and the share of sessions for a topic. Outcomes are counted here,
scored in the success job. The sessions are read twice, a page at a time: once to count, once to find
the turns that realise each pattern; between the passes only small integer sketches are kept.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from somnia_graph_store import PatternKind, PatternNode, SessionDigest, TurnRef

from somnia_dreaming.jobs.sequences import closed, prefixspan
from somnia_dreaming.settings import MiningSettings

DigestSource = Callable[[], AsyncIterator[SessionDigest]]
SUCCEEDED, FAILED = "succeeded", "failed"


def pattern_id(kind: str, items: Iterable[str]) -> str:
    """Stable across runs: the same pattern mined again is the same node."""
    return "p-" + hashlib.sha1(f"{kind}|{chr(31).join(items)}".encode()).hexdigest()[:16]


def is_topic(entity_key: str) -> bool:
    return not entity_key.startswith("date:")


@dataclass
class _Sketch:
    session_id: str
    outcome: str
    tools: tuple[int, ...]
    problem: frozenset[int]
    topics: frozenset[int]


class _Vocabulary:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []

    def __call__(self, name: str) -> int:
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = len(self.names)
            self.names.append(name)
        return found


def _tool_sequence(digest: SessionDigest, tools: _Vocabulary) -> tuple[int, ...]:
    sequence: list[int] = []
    for turn in digest.turns:
        for tool in turn.tools:
            item = tools(tool)
            if not sequence or sequence[-1] != item:  # a retried call is one step
                sequence.append(item)
    return tuple(sequence)


def _problem(digest: SessionDigest, entities: _Vocabulary) -> frozenset[int]:
    """What the session opened with: the topics of its first user turn."""
    for turn in digest.turns:
        if turn.role == "user":
            return frozenset(entities(e) for e in turn.entities if is_topic(e))
    return frozenset()


@dataclass
class _Found:
    kind: PatternKind
    items: tuple[str, ...]
    description: str
    holders: set[int]
    confidence: float
    tools: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()


async def mine_patterns(
    namespace: str, read: DigestSource, settings: MiningSettings, *, on_session: Callable[[], None] | None = None
) -> list[PatternNode]:
    tools, entities = _Vocabulary(), _Vocabulary()
    sketches: list[_Sketch] = []
    async for digest in read():
        topics = frozenset(entities(e) for t in digest.turns for e in t.entities if is_topic(e))
        sketches.append(
            _Sketch(
                digest.session_id, digest.outcome, _tool_sequence(digest, tools), _problem(digest, entities), topics
            )
        )
        if on_session is not None:
            on_session()
    if not sketches:
        return []
    support = max(settings.min_support, math.ceil(settings.min_support_share * len(sketches)))
    background = settings.max_topic_share * len(sketches)
    found = [
        *_tool_sequences(sketches, tools, support, settings),
        *_problem_resolutions(sketches, tools, entities, support, background, settings),
        *_topics(sketches, entities, support, background),
    ]
    found.sort(key=lambda f: (-len(f.holders), -len(f.items), f.items))
    found = found[: settings.max_patterns]
    turns = await _supporting_turns(found, sketches, read, settings.max_supporting_turns)
    patterns = []
    for index, f in enumerate(found):
        outcomes = Counter(sketches[i].outcome for i in f.holders)
        patterns.append(
            PatternNode(
                namespace=namespace,
                pattern_id=pattern_id(f.kind, f.items),
                kind=f.kind,
                items=f.items,
                description=f.description,
                support=len(f.holders),
                confidence=round(f.confidence, 4),
                successes=outcomes[SUCCEEDED],
                failures=outcomes[FAILED],
                supporting_turns=tuple(turns[index]),
            )
        )
    return patterns


def _tool_sequences(
    sketches: list[_Sketch], tools: _Vocabulary, support: int, settings: MiningSettings
) -> list[_Found]:
    database = [s.tools for s in sketches]
    frequent = prefixspan(database, support, settings.max_sequence_length)
    found = []
    for pattern, holders in closed({p: h for p, h in frequent.items() if len(p) >= 2}).items():
        confidence = len(holders) / len(frequent[pattern[:-1]])
        if confidence < settings.min_confidence:
            continue
        names = tuple(tools.names[i] for i in pattern)
        found.append(
            _Found(
                "tool_sequence",
                names,
                "tools used in this order: " + " -> ".join(names),
                holders,
                confidence,
                tools=frozenset(names),
            )
        )
    return found


def _problem_resolutions(
    sketches: list[_Sketch],
    tools: _Vocabulary,
    entities: _Vocabulary,
    support: int,
    background: float,
    settings: MiningSettings,
) -> list[_Found]:
    pairs: dict[tuple[int, tuple[int, ...]], set[int]] = {}
    problems: Counter[int] = Counter()
    for index, sketch in enumerate(sketches):
        if not sketch.tools:
            continue
        for problem in sketch.problem:
            problems[problem] += 1
            pairs.setdefault((problem, sketch.tools), set()).add(index)
    found = []
    for (problem, resolution), holders in pairs.items():
        if len(holders) < support or problems[problem] > background:
            continue
        confidence = len(holders) / problems[problem]
        if confidence < settings.min_confidence:
            continue
        name, steps = entities.names[problem], tuple(tools.names[i] for i in resolution)
        found.append(
            _Found(
                "problem_resolution",
                (name, *steps),
                f"when '{name}' came up, the session went: " + " -> ".join(steps),
                holders,
                confidence,
                tools=frozenset(steps),
                entities=frozenset({name}),
            )
        )
    return found


def _topics(sketches: list[_Sketch], entities: _Vocabulary, support: int, background: float) -> list[_Found]:
    holders: dict[int, set[int]] = {}
    for index, sketch in enumerate(sketches):
        for topic in sketch.topics:
            holders.setdefault(topic, set()).add(index)
    return [
        _Found(
            "topic",
            (entities.names[topic],),
            f"recurring topic: {entities.names[topic]}",
            sessions,
            len(sessions) / len(sketches),
            entities=frozenset({entities.names[topic]}),
        )
        for topic, sessions in holders.items()
        if support <= len(sessions) <= background
    ]


async def _supporting_turns(
    found: list[_Found], sketches: list[_Sketch], read: DigestSource, cap: int
) -> list[list[TurnRef]]:
    """Second pass: the turns of each pattern's sessions that use its tools or mention its topics."""
    wanted: dict[str, list[int]] = {}
    for index, f in enumerate(found):
        for holder in f.holders:
            wanted.setdefault(sketches[holder].session_id, []).append(index)
    turns: list[list[TurnRef]] = [[] for _ in found]
    async for digest in read():
        for index in wanted.get(digest.session_id, ()):
            f, bucket = found[index], turns[index]
            for turn in digest.turns:
                if len(bucket) >= cap:
                    break
                if f.tools.intersection(turn.tools) or f.entities.intersection(turn.entities):
                    bucket.append(TurnRef(session_id=digest.session_id, turn_id=turn.turn_id))
    return turns
