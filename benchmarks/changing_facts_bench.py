"""Facts that change over time: does Recall return the current value first and flag the old one?

30 attributes of one user ("my favourite colour", "my manager", ...) each change once or twice over
two months, said the way people say it ("Actually, my X is B now.", "Update: my X is B.", "My X is B
these days."), among 300 unrelated memories (benchmarks/synthetic.py). Everything is ingested in time
order on the embedded stores with the real embedder, through the graph service's linker, twice in the
same command: with supersession detection and without it. Each attribute's question is then asked
(k = 10). Figures: the share whose first item holds the current value, and the share of old values
returned in the top 10 that came back flagged with their replacement. Writes
benchmarks/results/changing_facts.json.

    uv run python benchmarks/changing_facts_bench.py
"""

from __future__ import annotations

import os

# Before grpc loads: this process spawns servers while it holds gRPC channels, and grpcio's fork
# handlers can deadlock or abort a fork (grpc/grpc#43055); the CLI and the tests set the same.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import synthetic

console = Console()
RESULTS = Path(__file__).parent / "results"
NS = "bench/facts/user"
T0 = datetime(2026, 9, 1, tzinfo=UTC)
# (attribute, values in time order, the question)
FACTS: list[tuple[str, list[str], str]] = [
    ("favourite colour", ["blue", "green", "orange"], "What is my favourite colour?"),
    ("car", ["a red Volvo", "a grey Tesla"], "What car do I drive?"),
    ("manager", ["Priya", "Tomasz"], "Who is my manager?"),
    ("dentist", ["Dr. Okafor on Elm Street", "Dr. Lindqvist downtown"], "Who is my dentist?"),
    ("gym", ["the climbing gym on 5th", "the pool at the community centre"], "Which gym do I go to?"),
    ("favourite band", ["Radiohead", "Khruangbin"], "What is my favourite band?"),
    ("phone", ["a Pixel 6", "an iPhone 15"], "What phone do I have?"),
    ("landlord", ["Mr. Alvarez", "a property company called Brightlet"], "Who is my landlord?"),
    ("running goal", ["a 10k under 50 minutes", "a half marathon in spring"], "What is my running goal?"),
    ("daughter's school", ["Maple Elementary", "Riverside Academy"], "Which school does my daughter attend?"),
    ("coffee order", ["a flat white", "an oat milk cortado", "plain black coffee"], "What is my usual coffee order?"),
    ("team", ["the payments team", "the search team"], "Which team am I on?"),
    ("password manager", ["LastPass", "1Password"], "Which password manager do I use?"),
    ("bank", ["Chase", "a credit union called Unify"], "Which bank do I use?"),
    ("favourite book", ["Dune", "The Left Hand of Darkness"], "What is my favourite book?"),
    ("cat's food", ["dry kibble", "wet food from Ziwi"], "What food does my cat eat?"),
    ("commute", ["the 7:40 train", "cycling along the canal"], "How do I commute to work?"),
    ("standup time", ["9:30", "10:15"], "When is my team's standup?"),
    ("editor", ["VS Code", "Neovim", "Zed"], "Which code editor do I use?"),
    ("doctor", ["Dr. Chen", "Dr. Haddad"], "Who is my doctor?"),
    (
        "favourite restaurant",
        ["the Thai place on Main", "a Georgian bakery near the park"],
        "What is my favourite restaurant?",
    ),
    ("internet provider", ["Comcast", "a fibre co-op"], "Who is my internet provider?"),
    ("partner's birthday", ["March 3rd", "March 13th"], "When is my partner's birthday?"),
    ("budget for the trip", ["2,000 dollars", "3,500 dollars"], "What is my budget for the trip?"),
    ("hairdresser", ["Sam at Cutting Room", "Lea at Studio Nine"], "Who is my hairdresser?"),
    ("spanish tutor", ["Marta", "Joaquín"], "Who is my Spanish tutor?"),
    ("main project", ["the billing migration", "the mobile onboarding redesign"], "What is my main project?"),
    ("weekly day off", ["Friday", "Monday"], "Which weekday do I take off?"),
    ("shoe size", ["42", "43"], "What is my shoe size?"),
    ("favourite podcast", ["Hardcore History", "Search Engine"], "What is my favourite podcast?"),
]
CHANGES = ["Actually, my {a} is {v} now.", "Update: my {a} is {v}.", "My {a} is {v} these days."]


def statements() -> list[tuple[datetime, str]]:
    said: list[tuple[datetime, str]] = []
    for n, (attribute, values, _) in enumerate(FACTS):
        for step, value in enumerate(values):
            at = T0 + timedelta(days=3 * n % 20 + 21 * step, hours=n)
            text = f"My {attribute} is {value}." if step == 0 else CHANGES[(n + step) % 3].format(a=attribute, v=value)
            said.append((at, text))
    noise = synthetic.texts(300, seed=23)
    said += [(T0 + timedelta(days=i % 60, minutes=i), text) for i, text in enumerate(noise)]
    return sorted(said)


async def run(detect: bool, home: Path, embedder: Any) -> dict[str, Any]:
    from somnia_contracts import MemoryIndexed, memory_id_for
    from somnia_graph.service import GraphLinker
    from somnia_graph.supersession import SupersessionDetector
    from somnia_graph_store import MemoryNode
    from somnia_graph_store.embedded.store import EmbeddedGraphStore
    from somnia_memory_store import MemoryRecord
    from somnia_memory_store.embedded.store import EmbeddedMemoryStore
    from somnia_retrieval import RankingSettings, Retriever

    store, graph = EmbeddedMemoryStore(home / "m.db"), EmbeddedGraphStore(home / "g.db")
    await graph.ensure_schema()
    linker = GraphLinker(graph, supersession=SupersessionDetector(store) if detect else None)
    said = statements()
    vectors = await embedder.embed([text for _, text in said])
    for n, ((at, text), vector) in enumerate(zip(said, vectors, strict=True)):
        session, turn = f"s{at.date().isoformat()}", f"t{n}"
        memory_id = memory_id_for(NS, session, turn, 0)
        await store.upsert(
            [
                MemoryRecord(
                    memory_id=memory_id,
                    namespace=NS,
                    text=text,
                    session_id=session,
                    turn_id=turn,
                    role="user",
                    occurred_at=at,
                    recorded_at=at,
                    embedder=embedder.name,
                    vector=vector,
                )
            ]
        )
        await graph.upsert_memories([MemoryNode(namespace=NS, session_id=session, turn_id=turn, memory_id=memory_id)])
        await linker.link(
            [
                MemoryIndexed(
                    namespace=NS,
                    session_id=session,
                    turn_id=turn,
                    memory_ids=(memory_id,),
                    embedder=embedder.name,
                    dimension=embedder.dimension,
                    occurred_at=at,
                    indexed_at=at,
                )
            ]
        )
    retriever = Retriever(embedder, store, RankingSettings(), graph=graph)
    current_first = old_returned = old_flagged = 0
    for _, values, question in FACTS:
        found = await retriever.recall(NS, question, k=10, now=T0 + timedelta(days=90))
        current_first += values[-1].lower() in found[0].record.text.lower()
        for m in found:
            text = m.record.text.lower()
            if any(f" {old.lower()}" in text for old in values[:-1]) and values[-1].lower() not in text:
                old_returned += 1
                old_flagged += bool(m.superseded_by)
    await store.aclose()
    await graph.aclose()
    return {
        "questions": len(FACTS),
        "current_value_first": current_first / len(FACTS),
        "old_values_returned": old_returned,
        "old_values_flagged": old_flagged / old_returned if old_returned else 1.0,
    }


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from somnia_embedder.onnx_minilm import OnnxMiniLMEmbedder

    embedder = OnnxMiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "on").mkdir()
        (Path(tmp) / "off").mkdir()
        with_detection = asyncio.run(run(True, Path(tmp) / "on", embedder))
        without = asyncio.run(run(False, Path(tmp) / "off", embedder))
    table = Table(title=f"{len(FACTS)} facts that change, among 300 other memories (k = 10)")
    for column in ("", "current value first", "old values in the top 10", "of them flagged"):
        table.add_column(column)
    for label, r in (("supersession detection", with_detection), ("without (baseline)", without)):
        table.add_row(
            label, f"{r['current_value_first']:.0%}", str(r["old_values_returned"]), f"{r['old_values_flagged']:.0%}"
        )
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    results = {"when": datetime.now(UTC).isoformat(), "with_detection": with_detection, "without": without}
    (RESULTS / "changing_facts.json").write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"results: {RESULTS / 'changing_facts.json'}")


if __name__ == "__main__":
    main()
