"""Detect knowledge communities: Louvain (networkx) on the entity co-mention graph, where two entities are
linked by how many turns mention both. Communities keep their ids across runs (stable_ids). A second
pass over the sessions finds, for each community, the turns that mention most of it: its evidence."""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from somnia_graph_store import CommunityNode, SessionDigest, TurnRef

from somnia_dreaming.jobs.patterns import is_topic
from somnia_dreaming.jobs.stable_ids import assign_ids
from somnia_dreaming.settings import GroupSettings

DigestSource = Callable[[], AsyncIterator[SessionDigest]]
# A turn naming many entities would add a clique of them all; its first few are what it is about.
MAX_ENTITIES_PER_TURN = 8
LOUVAIN_SEED = 7


@dataclass
class DetectedCommunity:
    node: CommunityNode
    evidence: list[TurnRef] = field(default_factory=list)


async def detect_communities(
    namespace: str,
    read: DigestSource,
    previous: list[CommunityNode],
    settings: GroupSettings,
    *,
    evidence_turns: int = 4,
    on_session: Callable[[], None] | None = None,
) -> list[DetectedCommunity]:
    weights: Counter[tuple[str, str]] = Counter()
    mentions: Counter[str] = Counter()
    async for digest in read():
        for turn in digest.turns:
            keys = sorted({e for e in turn.entities if is_topic(e)})[:MAX_ENTITIES_PER_TURN]
            mentions.update(keys)
            weights.update(itertools.combinations(keys, 2))
        if on_session is not None:
            on_session()
    import networkx as nx  # here, not at import: an idle dreaming process need not hold it

    graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items() if w >= settings.min_edge_weight)
    if graph.number_of_edges() == 0:
        return []
    groups = nx.community.louvain_communities(
        graph, weight="weight", resolution=settings.louvain_resolution, seed=LOUVAIN_SEED
    )
    strength = dict(graph.degree(weight="weight"))
    ranked = sorted(
        (sorted(g, key=lambda k: (-strength[k], k)) for g in groups if len(g) >= settings.min_community_size),
        key=lambda members: (-sum(strength[m] for m in members), members),
    )[: settings.max_communities]
    if not ranked:
        return []
    ids = assign_ids("c", ranked, {c.community_id: frozenset(c.members) for c in previous}, settings.stable_id_overlap)
    evidence, sessions = await _evidence(ranked, read, evidence_turns)
    return [
        DetectedCommunity(
            CommunityNode(
                namespace=namespace,
                community_id=community_id,
                kind="entities",
                label=", ".join(members[:4]),
                members=tuple(members),
                size=len(members),
                sessions=sessions[index],
            ),
            evidence[index],
        )
        for index, (community_id, members) in enumerate(zip(ids, ranked, strict=True))
    ]


async def _evidence(
    communities: list[list[str]], read: DigestSource, keep: int
) -> tuple[list[list[TurnRef]], list[int]]:
    """Per community: the `keep` turns that mention most of its members (one per session first, so the
    evidence spans sessions) and how many sessions mention it at all."""
    member_of = {m: i for i, members in enumerate(communities) for m in members}
    best: list[list[tuple[int, str, str]]] = [[] for _ in communities]
    sessions = [0] * len(communities)
    async for digest in read():
        per_community: dict[int, tuple[int, str]] = {}
        for turn in digest.turns:
            counts = Counter(member_of[e] for e in set(turn.entities) if e in member_of)
            for index, n in counts.items():
                if n > per_community.get(index, (0, ""))[0]:
                    per_community[index] = (n, turn.turn_id)
        for index, (n, turn_id) in per_community.items():
            sessions[index] += 1
            entry = (n, digest.session_id, turn_id)
            if len(best[index]) < keep:
                heapq.heappush(best[index], entry)
            else:
                heapq.heappushpop(best[index], entry)
    evidence = [[TurnRef(session_id=s, turn_id=t) for _, s, t in sorted(heap, reverse=True)] for heap in best]
    return evidence, sessions
