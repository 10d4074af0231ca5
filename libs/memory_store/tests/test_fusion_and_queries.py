from datetime import UTC, datetime

import numpy as np
from somnia_memory_store import MemoryRecord, SearchHit
from somnia_memory_store.embedded.fts_query import to_fts_query
from somnia_memory_store.fusion import relative_score_fusion

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def hit(memory_id: str, score: float) -> SearchHit:
    rec = MemoryRecord(
        memory_id=memory_id,
        namespace="a/b/c",
        text=memory_id,
        session_id="s",
        turn_id="t",
        role="user",
        occurred_at=NOW,
        recorded_at=NOW,
        embedder="e",
        vector=np.ones(2, np.float32),
    )
    return SearchHit(record=rec, score=score)


def test_fusion_normalises_each_list_and_weighs_by_alpha() -> None:
    dense = [hit("a", 0.9), hit("b", 0.5), hit("c", 0.1)]
    sparse = [hit("c", 12.0), hit("d", 2.0)]
    fused = relative_score_fusion(dense, sparse, alpha=0.5, k=10)
    scores = {h.record.memory_id: h.score for h in fused}
    assert scores == {"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.0}
    c = next(h for h in fused if h.record.memory_id == "c")
    assert (c.vector_rank, c.keyword_rank) == (3, 1)
    assert [h.record.memory_id for h in relative_score_fusion(dense, sparse, alpha=1.0, k=2)] == ["a", "b"]


def test_fts_query_quotes_terms_and_drops_stop_words() -> None:
    assert to_fts_query("What is my dog's name?") == '"dog" OR "name"'
    assert to_fts_query('"; DROP TABLE memory; --') == '"drop" OR "table" OR "memory"'
    assert to_fts_query("the and of") == ""
    assert to_fts_query("Café Zürich") == '"café" OR "zürich"'
