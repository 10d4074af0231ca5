"""Cluster similar contexts: HDBSCAN (scikit-learn) over memory embeddings, so categories come from the
model's own geometry, with no taxonomy and no preset number of clusters; what belongs nowhere is noise.

Every memory of the window is read, a page at a time, into a uniform reservoir sample of at most
`max_cluster_points`, so memory is bounded however large the window. HDBSCAN runs after a PCA to
`cluster_dimensions` (density estimates degrade in 384 dimensions, and it is far faster). A cluster
counts when it spans `min_cluster_sessions` sessions: one inside a single session says nothing new.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
from somnia_graph_store import CommunityNode
from somnia_memory_store import MemoryRecord

from somnia_dreaming.jobs.stable_ids import assign_ids
from somnia_dreaming.settings import GroupSettings

MemorySource = Callable[[], AsyncIterator[MemoryRecord]]
SAMPLE_SEED = 11


@dataclass
class _Point:
    memory_id: str
    session_id: str
    occurred_at: datetime
    vector: npt.NDArray[np.float32]


@dataclass
class DetectedCluster:
    node: CommunityNode
    # Members nearest the centroid, at most one per session first: what the insight will quote.
    representatives: list[str] = field(default_factory=list)


async def sample_memories(
    read: MemorySource, size: int, *, on_memory: Callable[[], None] | None = None
) -> tuple[list[_Point], int]:
    """A uniform sample of at most `size` memories (reservoir sampling) and how many were read."""
    rng = random.Random(SAMPLE_SEED)
    sample: list[_Point] = []
    seen = 0
    async for record in read():
        point = _Point(record.memory_id, record.session_id, record.occurred_at, record.vector)
        seen += 1
        if len(sample) < size:
            sample.append(point)
        else:
            slot = rng.randrange(seen)
            if slot < size:
                sample[slot] = point
        if on_memory is not None:
            on_memory()
    return sample, seen


def reduce(vectors: npt.NDArray[np.float32], dimensions: int) -> npt.NDArray[np.float32]:
    """PCA by SVD of the centred matrix."""
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    dimensions = min(dimensions, *centred.shape)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced: npt.NDArray[np.float32] = (centred @ components[:dimensions].T).astype(np.float32)
    return reduced


def cluster_points(
    namespace: str,
    points: list[_Point],
    previous: list[CommunityNode],
    settings: GroupSettings,
    *,
    representatives: int = 4,
) -> list[DetectedCluster]:
    if len(points) < max(settings.min_cluster_size * 2, 3):
        return []
    # Imported here: scikit-learn is a sizeable part of an idle dreaming process's memory otherwise.
    from sklearn.cluster import HDBSCAN

    vectors = np.stack([p.vector for p in points]).astype(np.float32)
    labels = HDBSCAN(min_cluster_size=settings.min_cluster_size, copy=True).fit_predict(
        reduce(vectors, settings.cluster_dimensions)
    )
    groups: list[list[int]] = []
    for label in sorted(set(labels.tolist()) - {-1}):
        members = [i for i in np.flatnonzero(labels == label).tolist()]
        if len({points[i].session_id for i in members}) >= settings.min_cluster_sessions:
            groups.append(members)
    groups.sort(key=lambda g: (-len(g), points[g[0]].memory_id))
    groups = groups[: settings.max_clusters]
    member_ids = [[points[i].memory_id for i in g] for g in groups]
    ids = assign_ids(
        "k", member_ids, {c.community_id: frozenset(c.members) for c in previous}, settings.stable_id_overlap
    )
    found = []
    for cluster_id, members in zip(ids, groups, strict=True):
        found.append(
            DetectedCluster(
                CommunityNode(
                    namespace=namespace,
                    community_id=cluster_id,
                    kind="cluster",
                    label="",
                    members=tuple(points[i].memory_id for i in members),
                    size=len(members),
                    sessions=len({points[i].session_id for i in members}),
                ),
                _representatives(points, members, vectors, representatives),
            )
        )
    return found


def _representatives(
    points: list[_Point], members: list[int], vectors: npt.NDArray[np.float32], keep: int
) -> list[str]:
    centroid = vectors[members].mean(axis=0)
    order = sorted(members, key=lambda i: -float(vectors[i] @ centroid))
    chosen: list[int] = []
    sessions: set[str] = set()
    for i in order:  # nearest the centre, one per session first, so the quotes span sessions
        if points[i].session_id not in sessions:
            chosen.append(i)
            sessions.add(points[i].session_id)
        if len(chosen) == keep:
            break
    for i in order:
        if len(chosen) == keep:
            break
        if i not in chosen:
            chosen.append(i)
    return [points[i].memory_id for i in chosen]
