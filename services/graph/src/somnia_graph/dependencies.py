"""Dependencies and conditional plans said in conversation, and what happens to them when the world
changes (no LLM on this path).

A memory that says what it rests on ("I only go to Ironworks because it's near my flat") is kept as a
`depends_on` dependency; one that plans for a change ("should I change jobs, I'd take the train
instead") as `replaces_if`. Each keeps its condition's content words, and a DEPENDS_ON / REPLACES_IF edge
to the memory that states the condition when one is found (the speaker's earlier statement that shares
most of the condition's words, or else the nearest one that shares a word with the whole statement: the
"there" of "I keep a locker there only since I train there"; or else, for a chain said in one sitting,
the speaker's nearest statement in meaning when it is from the same session and rests on something itself).

A later memory changes a condition when it says that something changed ("I moved to Leeds", "I left
the payments team") and is about the condition: it shares at least `match_overlap` of its words, or a
name in it, or a word of the memory that states it ("I moved to a flat in Nantes" for "as long as I'm
living on Castle Row", stated by "I rent a flat on Castle Row"); or when it replaced, retracted or
disproved that memory; or, when it says the speaker moved home, the condition is about their home
("I moved to Leeds" for "as long as I'm living on Elm Terrace"). Then:
- a `depends_on` memory becomes `uncertain`, with the change as evidence; so does whatever depends on it
  in turn (up to `max_hops`), and the insights made from any of them are downgraded;
- a `replaces_if` plan becomes `current` once a later memory reports its condition as having happened,
  and supersedes what it said it would replace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from somnia_graph_store import Dependency, Supersession, Verdict
from somnia_memory_model import (
    capitalised_names,
    content_keys,
    excerpt,
    overlap,
    shared,
    span_of,
    split_speaker,
    telling,
)
from somnia_memory_store import MemoryRecord, MemoryStore, SearchFilter

from somnia_graph.cues import (
    HOME_KEYS,
    condition_of,
    hypothetical,
    replaced_by_plan,
    retraction_of,
    says_change,
    says_home_move,
    says_state_change,
)


@dataclass
class Tracked:
    dependencies: list[Dependency] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    # A plan that came true replaces what it said it would ("... instead of driving").
    supersessions: list[Supersession] = field(default_factory=list)


class DependencyGraph(Protocol):
    """What the tracker reads and writes: a slice of the graph port (UsesAndVerdicts)."""

    async def upsert_dependencies(self, dependencies: Sequence[Dependency]) -> None: ...

    async def dependencies(self, namespace: str) -> list[Dependency]: ...


class DependencyTracker:
    def __init__(
        self,
        store: MemoryStore,
        graph: DependencyGraph,
        *,
        match_overlap: float = 0.5,
        upstream_cosine: float = 0.4,
        chain_cosine: float = 0.35,
        sitting_cosine: float = 0.3,
        near_rank: int = 10,
        candidates: int = 8,
        max_hops: int = 4,
    ) -> None:
        self._store = store
        self._graph = graph
        self._match_overlap = match_overlap
        self._upstream_cosine = upstream_cosine
        self._chain_cosine = chain_cosine
        self._sitting_cosine = sitting_cosine
        self._near_rank = near_rank
        self._candidates = candidates
        self._max_hops = max_hops

    async def track(self, records: Sequence[MemoryRecord], changed: Mapping[str, str] | None = None) -> Tracked:
        """Record the dependencies that `records` state, and the verdicts their arrival causes. `changed`
        maps memories that this batch replaced, retracted or disproved to the memory that did it."""
        tracked = Tracked()
        by_namespace: dict[str, list[MemoryRecord]] = {}
        for r in sorted(records, key=lambda r: (r.occurred_at, r.memory_id)):
            if r.kind == "episodic":
                by_namespace.setdefault(r.namespace, []).append(r)
        for namespace, said in by_namespace.items():
            new = [d for d in [await self._dependency(r) for r in said] if d is not None]
            if new:
                await self._graph.upsert_dependencies(new)
                tracked.dependencies.extend(new)
            known = await self._graph.dependencies(namespace)
            if known:
                found = await self._changes(namespace, said, known, changed or {})
                tracked.verdicts.extend(found.verdicts)
                tracked.supersessions.extend(found.supersessions)
        return tracked

    async def _dependency(self, record: MemoryRecord) -> Dependency | None:
        stated = condition_of(record.text)
        if stated is None:
            return None
        keys = content_keys(stated.condition)
        names = capitalised_names(span_of(record.text, stated.condition))
        replaced = replaced_by_plan(stated.then) if stated.kind == "replaces_if" else ""
        if not telling(keys):
            # "so far", "you love it": nothing a later change could be about. But "I carry the pager, only while
            # I'm the first one in", said after "as long as I'm on the team, I keep the early shift", is a link
            # of a chain: it passes a change down from the dependency it rests on.
            upstream = "" if stated.kind == "replaces_if" else await self._upstream(record, stated.condition, keys)
            if not upstream or not await self._states_dependency(record.namespace, upstream):
                return None
        else:
            upstream = (
                await self._upstream(record, replaced, content_keys(replaced), fallback=False)
                if stated.kind == "replaces_if"
                else await self._upstream(record, stated.condition, keys)
            )
        return Dependency(
            namespace=record.namespace,
            memory_id=record.memory_id,
            kind=stated.kind,
            condition=stated.condition,
            keys=tuple(sorted(keys)),
            names=tuple(sorted(names)),
            upstream_id=upstream,
            speaker=split_speaker(record.text)[0],
            then_keys=tuple(sorted(content_keys(stated.then))),
            occurred_at=record.occurred_at,
            recorded_at=record.recorded_at,
        )

    async def _states_dependency(self, namespace: str, memory_id: str) -> bool:
        found = await self._store.get(namespace, [memory_id])
        return bool(found) and condition_of(found[0].text) is not None

    async def _upstream(
        self, record: MemoryRecord, condition: str, keys: frozenset[str], *, fallback: bool = True
    ) -> str:
        earlier = SearchFilter(roles=(record.role,), kinds=("episodic",), occurred_before=record.occurred_at)
        speaker = split_speaker(record.text)[0]

        def before(candidate: MemoryRecord) -> bool:
            """An earlier statement of the same speaker (by the name its text starts with, when both have one):
            what one person's habit rests on is not another's news, though both speak as users."""
            other = split_speaker(candidate.text)[0]
            return (
                candidate.memory_id != record.memory_id
                and candidate.occurred_at < record.occurred_at
                and (not speaker or not other or speaker == other)
            )

        if keys:
            for hit in await self._store.keyword_search(record.namespace, condition, self._candidates, earlier):
                if before(hit.record) and overlap(keys, content_keys(hit.record.text)) >= self._match_overlap:
                    return hit.record.memory_id
        if not fallback:
            return ""
        # Else the nearest earlier statement that itself rests on something (a chain: "I keep a locker
        # there only since I train there"), or the nearest that shares a word with the whole statement.
        whole = content_keys(record.text)
        nearest = [
            (hit.record, float(hit.record.vector @ record.vector))
            for hit in await self._store.vector_search(record.namespace, record.vector, self._candidates, earlier)
            if before(hit.record)
        ]
        for candidate, cosine in nearest:
            stated = condition_of(candidate.text)
            if (
                cosine >= self._chain_cosine
                and stated is not None
                and telling(shared(whole, content_keys(stated.then)))
            ):
                return candidate.memory_id
        for candidate, cosine in nearest:
            if cosine >= self._upstream_cosine and len(telling(shared(whole, content_keys(candidate.text)))) >= 2:
                return candidate.memory_id
        # A chain said in one sitting may share no word: "I keep the early shift since ..." then "I carry the
        # pager because whoever starts first handles the morning pages". The speaker's statement nearest
        # in meaning, when it is from this session and itself rests on something, is the link before.
        if nearest:
            candidate, cosine = max(nearest, key=lambda pair: pair[1])
            if (
                cosine >= self._sitting_cosine
                and candidate.session_id == record.session_id
                and condition_of(candidate.text) is not None
            ):
                return candidate.memory_id
        return ""

    async def _changes(
        self,
        namespace: str,
        said: Sequence[MemoryRecord],
        known: Sequence[Dependency],
        changed: Mapping[str, str],
    ) -> Tracked:
        tracked = Tracked()
        verdicts: dict[tuple[str, str], Verdict] = {}
        upstream = {d.upstream_id for d in known if d.kind == "depends_on" and d.upstream_id}
        context = {r.memory_id: content_keys(r.text) for r in await self._store.get(namespace, sorted(upstream))}
        index = DependencyIndex(known, context)
        for record in said:
            keys = content_keys(record.text)
            report = not hypothetical(record.text) and condition_of(record.text) is None
            change = report and (says_change(record.text) or retraction_of(record.text) is not None)
            strong = change and says_state_change(record.text)
            moved = change and says_home_move(record.text)
            undone = {older for older, cause in changed.items() if cause == record.memory_id}
            hit: list[Dependency] = []
            speaker = split_speaker(record.text)[0]
            near: frozenset[str] | None = None  # looked up once, and only when a weak match needs it
            for d in index.candidates(keys | HOME_KEYS if moved else keys, undone):
                if d.memory_id == record.memory_id or d.occurred_at >= record.occurred_at:
                    continue
                if speaker and d.speaker and d.speaker != speaker:
                    continue  # one person's news does not change what another's plans rest on
                condition = frozenset(d.keys)
                common = telling(shared(condition, keys))
                by_words = bool(common) and len(common) >= self._match_overlap * len(condition)
                about = (
                    (by_words and len(common) >= 2)
                    or bool(frozenset(d.names) & keys)
                    or len(telling(shared(context.get(d.upstream_id, frozenset()), keys))) >= 2
                    or (moved and bool(HOME_KEYS & condition))
                )
                if not about and common and (by_words or strong):
                    # One word in common is weak evidence ("I spent the morning tidying" and "while I
                    # handle the morning pages"). It counts when the memory that rests on the condition is
                    # among this one's nearest in meaning, and, unless the word is most of the condition,
                    # this one says a state changed: "I moved to a flat in Turin" is about "it's a
                    # five-minute walk from my flat". Nearest by rank, not by a cosine, because a speaker's
                    # name embedded with each text raises every cosine between them.
                    if near is None:
                        near = await self._nearest(record)
                    about = d.memory_id in near
                if d.kind == "depends_on" and ((change and about) or d.upstream_id in undone):
                    hit.append(d)
                elif d.kind == "replaces_if" and report and about:
                    verdicts[(d.memory_id, record.memory_id)] = self._verdict(d, record, "current")
                    if d.upstream_id:
                        tracked.supersessions.append(
                            Supersession(
                                namespace=namespace,
                                newer_id=d.memory_id,
                                older_id=d.upstream_id,
                                reason=f"a plan took over once '{d.condition}' came true",
                                recorded_at=record.recorded_at,
                            )
                        )
            if hit:
                for d, hops in self._cascade(hit, known):
                    verdicts[(d.memory_id, record.memory_id)] = self._verdict(d, record, "uncertain", hops)
        tracked.verdicts = list(verdicts.values())
        return tracked

    async def _nearest(self, record: MemoryRecord) -> frozenset[str]:
        """The speaker's earlier memories nearest `record` in meaning."""
        earlier = SearchFilter(roles=(record.role,), kinds=("episodic",), occurred_before=record.occurred_at)
        hits = await self._store.vector_search(record.namespace, record.vector, self._near_rank, earlier)
        return frozenset(hit.record.memory_id for hit in hits)

    def _cascade(self, first: Iterable[Dependency], known: Sequence[Dependency]) -> list[tuple[Dependency, int]]:
        """`first` and what depends on them in turn (by upstream edge, or by a condition about what they
        say), with how many hops from the change each is."""
        reached: dict[str, tuple[Dependency, int]] = {d.memory_id: (d, 1) for d in first if d.kind == "depends_on"}
        frontier = list(reached)
        for hops in range(2, self._max_hops + 1):
            if not frontier:
                break
            said_keys = {m: frozenset(reached[m][0].then_keys) for m in frontier}
            frontier = []
            for d in known:
                if d.kind != "depends_on" or d.memory_id in reached:
                    continue
                if d.upstream_id in said_keys or any(rests_on(d, k, self._match_overlap) for k in said_keys.values()):
                    reached[d.memory_id] = (d, hops)
                    frontier.append(d.memory_id)
        return list(reached.values())

    @staticmethod
    def _verdict(d: Dependency, cause: MemoryRecord, status: Literal["uncertain", "current"], hops: int = 1) -> Verdict:
        day = cause.occurred_at.date().isoformat()
        if status == "current":
            reason = f"its condition '{d.condition}' came true on {day}: \"{excerpt(cause.text, 120)}\""
        else:
            via = "" if hops == 1 else f" ({hops} steps up the chain)"
            reason = f"depends on '{d.condition}', which changed on {day}{via}: \"{excerpt(cause.text, 120)}\""
        return Verdict(
            namespace=d.namespace,
            memory_id=d.memory_id,
            verdict_id=f"{status}:{cause.memory_id}"[:128],
            status=status,
            evidence_id=cause.memory_id,
            reason=reason[:1024],
            recorded_at=cause.recorded_at,
            changed_at=cause.occurred_at,
        )


def _prefix(key: str) -> str:
    """What two keys that `shared` matches have in common: the whole key, or its first four letters when
    both have four or more (a stem matches another it starts or that starts it only then)."""
    return key[:4] if len(key) >= 4 else key


class DependencyIndex:
    """Which known dependencies a statement could be about: those whose condition, names or upstream
    memory share a key with it, found through an index by key prefix. The full test then runs on these
    alone; testing every dependency of the namespace against every statement grew with the namespace and
    was most of the graph service's time at 20,000 memories (docs/benchmarks.md)."""

    def __init__(self, known: Sequence[Dependency], context: Mapping[str, frozenset[str]]) -> None:
        self._known = known
        self._by_prefix: dict[str, list[int]] = {}
        self._by_upstream: dict[str, list[int]] = {}
        for i, d in enumerate(known):
            for key in {*d.keys, *d.names, *context.get(d.upstream_id, frozenset())}:
                self._by_prefix.setdefault(_prefix(key), []).append(i)
            if d.upstream_id:
                self._by_upstream.setdefault(d.upstream_id, []).append(i)

    def candidates(self, keys: Iterable[str], undone: Iterable[str] = ()) -> list[Dependency]:
        """The dependencies sharing a key prefix with `keys`, or resting on a memory in `undone`, in the
        order they were known."""
        found: set[int] = set()
        for key in keys:
            found.update(self._by_prefix.get(_prefix(key), ()))
        for memory_id in undone:
            found.update(self._by_upstream.get(memory_id, ()))
        return [self._known[i] for i in sorted(found)]


def rests_on(d: Dependency, said: frozenset[str], share: float) -> bool:
    """Whether `d` rests on a statement that says `said` (its `then` keys): its condition shares `share` of
    the shorter of the two, or the whole of it shares two telling words ("we keep a Thursday slot for chart
    reviews since the reviewer needs time" rests on "Nadira reviews every chart change")."""
    condition = frozenset(d.keys)
    if telling(shared(condition, said)) and _either_way(condition, said) >= share:
        return True
    return len(telling(shared(condition | frozenset(d.then_keys), said))) >= 2


def _either_way(keys: frozenset[str], other: frozenset[str]) -> float:
    """How much two statements share, as a share of the shorter: "the pinned release never got that bug
    fixed" rests on "we pin boto3 to an old release" although most of its own words are about the bug."""
    return max(overlap(keys, other), overlap(other, keys))
