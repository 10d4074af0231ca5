"""Multi-hop bridging and a cross-encoder's reading of the head, on the shared test namespace."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from somnia_memory_store import MemoryRecord
from somnia_reranker import RerankerError
from somnia_retrieval import Candidate, RankingSettings, Retriever, Standing
from somnia_retrieval.rerank import score_pool

from .conftest import NS, World

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def candidate(memory_id: str, relevance: float, status: str = "asserted") -> Candidate:
    vector = np.zeros(4, dtype=np.float32)
    vector[sum(map(ord, memory_id)) % 4] = 1.0
    record = MemoryRecord(
        memory_id=memory_id,
        namespace=NS,
        text=f"{memory_id}: a statement about the Ironworks gym",  # says something: no small-talk penalty
        session_id="s",
        turn_id=memory_id,
        role="user",
        occurred_at=NOW,
        recorded_at=NOW,
        embedder="test",
        vector=vector,
    )
    return Candidate(record=record, relevance=relevance, standing=Standing(status=status))  # type: ignore[arg-type]


def test_the_cross_encoder_reorders_the_head_and_nothing_below_overtakes_it() -> None:
    pool = score_pool(
        [candidate("a", 1.0), candidate("b", 0.9), candidate("c", 0.8), candidate("d", 0.5)],
        now=NOW,
        feedback={},
        settings=RankingSettings(),
    )
    tail = float(pool.scores[3])
    pool.blend_cross([0.0, 1.0, 5.0], share=1.0)  # it reads c as the answer, a as the worst
    order = [pool.ordered[i].record.memory_id for i in np.argsort(-pool.scores)]
    assert order[:3] == ["c", "b", "a"]
    assert float(pool.scores[:3].min()) >= tail and order[3] == "d"


def test_a_half_share_keeps_the_pipelines_own_order_in_the_blend() -> None:
    pool = score_pool(
        [candidate("a", 1.0), candidate("b", 0.2), candidate("c", 0.1)],
        now=NOW,
        feedback={},
        settings=RankingSettings(),
    )
    pool.blend_cross([0.0, 0.1, 1.0], share=0.5)  # a leads the pipeline by far, c the cross-encoder
    order = [pool.ordered[i].record.memory_id for i in np.argsort(-pool.scores)]
    assert order[0] in {"a", "c"} and order[-1] == "b"


def test_a_flagged_memory_keeps_its_place_whatever_the_cross_encoder_reads() -> None:
    pool = score_pool(
        [candidate("new", 1.0), candidate("old", 0.5, "superseded"), candidate("other", 0.2)],
        now=NOW,
        feedback={},
        settings=RankingSettings(),
    )
    before = float(pool.scores[1])
    pool.blend_cross([0.0, 9.0, 1.0], share=1.0)
    assert float(pool.scores[1]) == pytest.approx(before)


def test_the_change_that_flagged_a_memory_keeps_its_place_too() -> None:
    # "I've stopped going to Ironworks" reads as nothing like "which gym do I go to?" to a cross-encoder,
    # yet it is the answer to it; it came into the pool as the change, at the changed memory's rank.
    change = candidate("change", 0.8)
    change.explains = ["old"]
    pool = score_pool(
        [candidate("chat", 1.0), change, candidate("other", 0.6), candidate("old", 0.5, "retracted")],
        now=NOW,
        feedback={},
        settings=RankingSettings(),
    )
    before = float(pool.scores[1])
    pool.blend_cross([0.0, 0.0, 9.0, 0.0], share=1.0)  # the model reads "other" as the answer
    assert float(pool.scores[1]) == pytest.approx(before)
    assert [pool.ordered[i].record.memory_id for i in np.argsort(-pool.scores)][:2] == ["other", "change"]


class FakeReranker:
    """A named fake: scores passages by how many of the query's words they contain, or fails or
    stalls as told, to test the wiring without a model."""

    def __init__(self, behaviour: str = "words", local: bool = True) -> None:
        self.behaviour = behaviour
        self.calls: list[int] = []
        self._local = local

    @property
    def name(self) -> str:
        return f"fake-{self.behaviour}"

    @property
    def local(self) -> bool:
        return self._local

    async def score(self, query: str, passages: Sequence[str]) -> list[float]:
        self.calls.append(len(passages))
        if self.behaviour == "fails":
            raise RerankerError("rerank request failed: 503")
        if self.behaviour == "breaks":
            raise ValueError("the model's runtime broke")
        if self.behaviour == "stalls":
            await asyncio.sleep(5)
        words = set(query.lower().split())
        return [float(len(words & set(p.lower().replace(".", " ").split()))) for p in passages]

    async def aclose(self) -> None:
        return None


def retriever(world: World, reranker: FakeReranker, cpu_wait: float = 0.0, **settings: object) -> Retriever:
    """`cpu_wait`: the share of their ready time recall's threads waited for a core, fixed here so a busy
    test machine does not decide whether the model reads."""
    from somnia_extraction import OfflineExtractor

    return Retriever(
        world.retriever._embedder,
        world.store,
        RankingSettings(**settings),  # type: ignore[arg-type]
        graph=world.graph,
        extractor=OfflineExtractor(),
        reranker=reranker,
        cpu_wait=lambda: cpu_wait,
    )


async def test_the_reranker_reads_only_the_head(world: World) -> None:
    fake = FakeReranker()
    answer = await retriever(world, fake, rerank_top=4).recall(
        NS, "who is getting married in Porto", k=3, now=world.now
    )
    assert fake.calls == [4]
    assert "Porto" in answer[0].record.text


@pytest.mark.parametrize("behaviour", ["fails", "breaks", "stalls"])
async def test_a_failing_or_slow_reranker_costs_the_order_never_the_answer(world: World, behaviour: str) -> None:
    plain = await retriever(world, FakeReranker(), rerank_top=0).recall(NS, "Hannah wedding toast", k=5, now=world.now)
    started = asyncio.get_running_loop().time()
    answer = await retriever(world, FakeReranker(behaviour), rerank_timeout_s=0.2).recall(
        NS, "Hannah wedding toast", k=5, now=world.now
    )
    assert asyncio.get_running_loop().time() - started < 2.0
    assert [m.record.memory_id for m in answer] == [m.record.memory_id for m in plain]


async def test_bridging_brings_what_the_first_round_found_close_to(world: World) -> None:
    off = retriever(world, FakeReranker(), rerank_top=0, bridge_seeds=0, graph_expansion=False)
    on = retriever(world, FakeReranker(), rerank_top=0, bridge_seeds=2, graph_expansion=False)
    question = "what did clearing the cache free"
    before = await off.recall(NS, question, k=8, now=world.now)
    after = await on.recall(NS, question, k=8, now=world.now)
    bridged = [m for m in after if any(p.startswith("bridged from a match") for p in m.paths)]
    assert bridged, [m.paths for m in after]
    # Bridged memories rank beneath the seeds that reached them.
    assert after[0].record.memory_id == before[0].record.memory_id


async def test_under_load_the_reranker_reads_only_an_answer_that_runs_alone(world: World) -> None:
    fake = FakeReranker()
    reading = retriever(world, fake)
    questions = ["Hannah wedding toast", "metric units", "build-07 disk full"]
    answers = await asyncio.gather(*(reading.answer(NS, q, k=5, now=world.now) for q in questions))
    # Three at once: none waits for the model; only the last, once it runs alone, may be read.
    assert len(fake.calls) <= 1 and all(a.memories for a in answers)
    before = len(fake.calls)
    await reading.answer(NS, "Hannah wedding toast", k=5, now=world.now)
    assert len(fake.calls) == before + 1


async def test_while_the_cores_are_taken_the_reranker_does_not_read(world: World) -> None:
    limit = 0.4  # recall's default (the suite's conftest sets 1 for the tests that assert an order)
    busy = FakeReranker()
    reading = retriever(world, busy, cpu_wait=0.7, rerank_max_cpu_wait=limit)
    await reading.answer(NS, "Hannah wedding toast", k=5, now=world.now)
    assert busy.calls == []  # alone in the process, but its threads would wait for a core
    idle = FakeReranker()
    reading = retriever(world, idle, cpu_wait=0.2, rerank_max_cpu_wait=limit)
    await reading.answer(NS, "Hannah wedding toast", k=5, now=world.now)
    assert len(idle.calls) == 1
    told = FakeReranker()
    await retriever(world, told, cpu_wait=0.7, rerank_max_cpu_wait=1.0).answer(NS, "metric units", k=5, now=world.now)
    assert len(told.calls) == 1  # 1 reads whatever the load


def test_only_a_model_in_process_waits_for_free_cores(world: World) -> None:
    def built(reranker: FakeReranker) -> Retriever:
        return Retriever(world.retriever._embedder, world.store, RankingSettings(), reranker=reranker)

    assert built(FakeReranker(local=True))._cpu_wait is not None
    assert built(FakeReranker(local=False))._cpu_wait is None  # an endpoint's cores are not recall's


async def test_after_a_failure_answers_go_without_the_model_for_a_while(world: World) -> None:
    fake = FakeReranker("breaks")
    reading = retriever(world, fake)
    await reading.answer(NS, "Hannah wedding toast", k=5, now=world.now)
    await reading.answer(NS, "metric units", k=5, now=world.now)
    assert len(fake.calls) == 1  # the second answer did not wait on a model that just failed


@pytest.mark.parametrize("read", [[1.0, 1.0, 1.0], [0.0, float("nan"), 1.0], [0.0, float("inf"), 1.0]])
def test_a_reading_with_no_usable_order_leaves_the_pipelines_order(read: list[float]) -> None:
    pool = score_pool(
        [candidate("a", 1.0), candidate("b", 0.5), candidate("c", 0.2)],
        now=NOW,
        feedback={},
        settings=RankingSettings(),
    )
    before = pool.scores.copy()
    pool.blend_cross(read, share=1.0)
    assert np.array_equal(pool.scores, before)


async def test_answers_within_the_in_flight_limit_are_all_read(world: World) -> None:
    fake = FakeReranker()
    reading = retriever(world, fake, rerank_max_in_flight=4)
    questions = ["Hannah wedding toast", "metric units", "build-07 disk full"]
    await asyncio.gather(*(reading.answer(NS, q, k=5, now=world.now) for q in questions))
    assert len(fake.calls) == 3  # an endpoint that takes concurrency gets it
