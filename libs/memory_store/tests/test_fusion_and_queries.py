from somnia_memory_store.embedded.fts_query import to_fts_query
from somnia_memory_store.fusion import relative_score_fusion
from somnia_memory_store.query_words import query_words


def test_fusion_normalises_each_ranking_and_weighs_by_alpha() -> None:
    dense = [("a", 0.9), ("b", 0.5), ("c", 0.1)]
    sparse = [("c", 12.0), ("d", 2.0)]
    fused = relative_score_fusion(dense, sparse, alpha=0.5, k=10)
    assert {f.key: f.score for f in fused} == {"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.0}
    c = next(f for f in fused if f.key == "c")
    assert (c.vector_rank, c.keyword_rank) == (3, 1)
    assert [f.key for f in fused][:2] == ["a", "c"]  # equal scores: the better rank first
    assert [f.key for f in relative_score_fusion(dense, sparse, alpha=1.0, k=2)] == ["a", "b"]


def test_fusion_of_single_item_lists_gives_full_marks() -> None:
    (only,) = relative_score_fusion([("x", 0.3)], [], alpha=0.7, k=5)
    assert only.score == 0.7 and only.vector_score == 1.0


def test_fts_query_quotes_terms_and_drops_stop_words() -> None:
    assert to_fts_query("What is my dog's name?") == '"dog" OR "name"'
    assert to_fts_query('"; DROP TABLE memory; --') == '"drop" OR "table" OR "memory"'
    assert to_fts_query("the and of") == ""
    assert to_fts_query("Café Zürich") == '"café" OR "zürich"'


def test_a_phrase_that_means_now_is_no_keyword() -> None:
    """ "these days" asks what holds now; as keywords it matched "Busy day so far" above the answer."""
    assert query_words("How do I get to work these days?") == ["get", "work"]
    assert query_words("What am I reading at the moment, right now?") == ["reading"]
    assert query_words("How many days did the trip last?") == ["many", "days", "trip", "last"]
