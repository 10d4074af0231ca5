"""The LLM contradiction judge, against a fake chat endpoint (no LLM runs here; the fake answers what a
model would, in the wire format of an OpenAI-compatible server): its verdicts become supersessions or
disproven memories that Recall flags, and an endpoint that fails decides nothing without failing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from somnia_contracts import MemoryIndexed, memory_id_for
from somnia_extraction.chat import ChatEndpoint
from somnia_graph.judge import ContradictionJudge
from somnia_graph.retraction import RetractionDetector
from somnia_graph.service import GraphLinker
from somnia_graph.supersession import SupersessionDetector
from somnia_graph_store import MemoryNode
from somnia_graph_store.embedded.store import EmbeddedGraphStore
from somnia_memory_store import MemoryRecord
from somnia_memory_store.embedded.store import EmbeddedMemoryStore
from somnia_retrieval import RankingSettings, Retriever

NS = "acme/helper/erin"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
EARLIER = "The quarterly review with the board is on Tuesday the 14th."
LATER = "The quarterly review with the board happens on Thursday the 16th."


def fake_chat(answer: Callable[[str], dict[str, str]] | None, status: int = 200) -> httpx.MockTransport:
    """A stand-in for an OpenAI-compatible server: answers each prompt with `answer(prompt)` as JSON."""
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][0]["content"]
        asked.append(prompt)
        if answer is None:
            return httpx.Response(status, json={"error": "down"})
        content = json.dumps(answer(prompt))
        return httpx.Response(status, json={"choices": [{"message": {"content": content}}]})

    transport = httpx.MockTransport(handle)
    transport.asked = asked  # type: ignore[attr-defined]
    return transport


async def remember_and_link(tmp_path: Path, embedder, transport: httpx.MockTransport):  # type: ignore[no-untyped-def]
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    judge = ContradictionJudge(ChatEndpoint(base_url="http://judge.test", model="m", transport=transport))
    linker = GraphLinker(graph, supersession=SupersessionDetector(store, judge=judge))
    ids = []
    for n, text in enumerate([EARLIER, LATER]):
        at = T0 + timedelta(days=n)
        memory_id = memory_id_for(NS, f"s{n}", "t0", 0)
        ids.append(memory_id)
        (vector,) = await embedder.embed([text])
        await store.upsert(
            [
                MemoryRecord(
                    memory_id=memory_id,
                    namespace=NS,
                    text=text,
                    session_id=f"s{n}",
                    turn_id="t0",
                    role="user",
                    occurred_at=at,
                    recorded_at=at,
                    embedder=embedder.name,
                    vector=vector,
                )
            ]
        )
        await graph.upsert_memories([MemoryNode(namespace=NS, session_id=f"s{n}", turn_id="t0", memory_id=memory_id)])
        indexed = MemoryIndexed(
            namespace=NS,
            session_id=f"s{n}",
            turn_id="t0",
            memory_ids=(memory_id,),
            embedder=embedder.name,
            dimension=embedder.dimension,
            occurred_at=at,
            indexed_at=at,
        )
        await linker.link([indexed])
    retriever = Retriever(embedder, store, RankingSettings(), graph=graph)
    found = {m.record.memory_id: m for m in await retriever.recall(NS, "when is the board review?", k=5)}
    await judge.aclose()
    await store.aclose()
    await graph.aclose()
    return ids, found


async def test_a_judged_new_value_supersedes_the_old_one(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    transport = fake_chat(lambda prompt: {"relation": "supersedes", "reason": "the review was moved"})
    (old, new), found = await remember_and_link(tmp_path, embedder, transport)
    assert len(transport.asked) == 1  # type: ignore[attr-defined]
    assert EARLIER in transport.asked[0] and LATER in transport.asked[0]  # type: ignore[attr-defined]
    assert found[old].superseded_by == new and "judged: the review was moved" in found[old].standing.reason
    assert found[new].standing.status == "asserted"


async def test_a_judged_contradiction_disproves_the_older_memory(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    transport = fake_chat(lambda prompt: {"relation": "contradicts", "reason": "the date was wrong"})
    (old, new), found = await remember_and_link(tmp_path, embedder, transport)
    assert found[old].standing.status == "disproven" and found[old].standing.by == new
    assert "the date was wrong" in found[old].standing.reason


async def test_a_judged_retraction_takes_the_older_memory_out_of_default_recall(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    transport = fake_chat(lambda prompt: {"relation": "retracts", "reason": "the speaker withdrew it"})
    (old, new), found = await remember_and_link(tmp_path, embedder, transport)
    assert '"retracts"' in transport.asked[0]  # type: ignore[attr-defined]
    assert old not in found and new in found  # left out; what took it back answers
    assert any(f"changed {old}: retracted" in path for path in found[new].paths)


async def test_a_judge_that_fails_or_rambles_decides_nothing(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    (old, _), found = await remember_and_link(tmp_path / "down", embedder, fake_chat(None, status=503))
    assert found[old].standing.status == "asserted"
    rambling = fake_chat(lambda prompt: {"relation": "maybe", "reason": ""})
    (old, _), found = await remember_and_link(tmp_path / "rambling", embedder, rambling)
    assert found[old].standing.status == "asserted"


GP = "Dana: I'm registered with Dr Whitfield at Riverside Surgery."
SAID_BEFORE = [
    ("s0", GP, 0, "user"),
    ("s0", "Dana: I bought a Peugeot 308 last month.", 0, "user"),
    ("s0", "Dana: My sister Maya teaches chemistry in Bristol.", 0, "user"),
    ("s1", "Dana: The train was a few minutes late today.", 9, "user"),
    ("s2", "Dana: Forget what I told you about my GP, it no longer holds.", 30, "user"),
]


def picks(word: str) -> Callable[[str], dict[str, object]]:
    """A judge that takes back the numbered statement that has `word` in it."""

    def answer(prompt: str) -> dict[str, object]:
        numbered = [line for line in prompt.splitlines() if line[:1].isdigit()]
        return {"taken_back": [int(line.split(".")[0]) for line in numbered if word in line], "reason": "the GP"}

    return answer


async def retract_with(tmp_path: Path, embedder, say, transport: httpx.MockTransport | None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The verdicts (memory text -> status) after SAID_BEFORE, with a judge on `transport` (or none)."""
    store, graph = EmbeddedMemoryStore(tmp_path / "m.db"), EmbeddedGraphStore(tmp_path / "g.db")
    await graph.ensure_schema()
    judge = (
        ContradictionJudge(ChatEndpoint(base_url="http://judge.test", model="m", transport=transport))
        if transport is not None
        else None
    )
    linker = GraphLinker(graph, memory_store=store, retraction=RetractionDetector(store, topics=embedder, judge=judge))
    ids = await say(NS, SAID_BEFORE, store, graph, linker, T0)
    verdicts = await graph.verdicts(NS, ids)
    texts = {memory_id: text for memory_id, (_, text, _, _) in zip(ids, SAID_BEFORE, strict=True)}
    await store.aclose()
    await graph.aclose()
    return {texts[memory_id]: verdict.status for memory_id, verdict in verdicts.items()}


async def test_the_judge_picks_what_a_retraction_takes_back_when_no_word_or_meaning_ties_them(  # type: ignore[no-untyped-def]
    tmp_path: Path, embedder, say
) -> None:
    """Offline, "my GP" is nearest to nothing the speaker said (no statement is 0.35 near it); the judge
    reads the nearest few and names the one it is about."""
    assert await retract_with(tmp_path / "offline", embedder, say, None) == {}
    transport = fake_chat(picks("Whitfield"))  # type: ignore[arg-type]
    assert await retract_with(tmp_path / "judged", embedder, say, transport) == {GP: "deleted_by_user"}
    (asked,) = transport.asked  # type: ignore[attr-defined]
    assert "Forget what I told you about my GP" in asked and "Dr Whitfield" in asked


async def test_a_judge_that_picks_nothing_fails_or_answers_out_of_range_takes_nothing_back(
    tmp_path: Path, embedder, say
) -> None:  # type: ignore[no-untyped-def]
    assert await retract_with(tmp_path / "none", embedder, say, fake_chat(picks("nobody"))) == {}  # type: ignore[arg-type]
    assert await retract_with(tmp_path / "down", embedder, say, fake_chat(None, status=503)) == {}
    out_of_range = fake_chat(lambda prompt: {"taken_back": [42], "reason": "?"})  # type: ignore[arg-type,dict-item]
    assert await retract_with(tmp_path / "wild", embedder, say, out_of_range) == {}
