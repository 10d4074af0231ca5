from datetime import UTC, datetime

from somnia_contracts import ToolCallPayload, TurnCaptured
from somnia_embedding.chunking import chunk_words, memory_text

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_short_text_is_one_chunk() -> None:
    assert chunk_words("  a few words  ", max_words=10, overlap=2) == ["a few words"]


def test_long_text_is_cut_with_overlap_and_nothing_lost() -> None:
    words = [f"w{i}" for i in range(25)]
    chunks = chunk_words(" ".join(words), max_words=10, overlap=3)
    assert chunks[0].split() == words[:10]
    assert chunks[1].split()[:3] == words[7:10]
    covered = {w for c in chunks for w in c.split()}
    assert covered == set(words)
    assert all(len(c.split()) <= 10 for c in chunks)


def test_tool_turns_are_remembered_with_call_and_result() -> None:
    turn = TurnCaptured(
        namespace="a/b/c",
        session_id="s",
        turn_id="t",
        role="tool",
        content="",
        tool_call=ToolCallPayload(name="grep", arguments_json='{"q":"x"}', result="3 hits"),
        occurred_at=NOW,
        captured_at=NOW,
    )
    assert memory_text(turn) == '[tool grep] {"q":"x"} -> 3 hits'


def test_a_named_speaker_is_part_of_what_the_turn_is_remembered_by() -> None:
    turn = TurnCaptured(
        namespace="a/b/c",
        session_id="s",
        turn_id="t",
        role="user",
        content="I moved to Lisbon last week.",
        speaker="Caroline",
        occurred_at=NOW,
        captured_at=NOW,
    )
    assert memory_text(turn) == "Caroline: I moved to Lisbon last week."
    assert memory_text(turn.model_copy(update={"speaker": ""})) == "I moved to Lisbon last week."
