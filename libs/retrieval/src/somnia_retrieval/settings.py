"""Ranking knobs, from SOMNIA_RANKING_* variables; recall and cache-warming read the same ones."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from somnia_contracts import WARM_PACKS_BUCKET
from somnia_memory_model import StrengthSettings
from somnia_tokens import TokenCounter, TokenizerSettings, create_token_counter
from somnia_warm_packs import LayerName


class RankingSettings(StrengthSettings):
    """Each default has its reasoning in docs/ranking.md. Where reasoning left a choice (alpha, hops,
    spreading, the entity boost), a few principled variants were compared on the LoCoMo development
    conversations; docs/ranking.md lists every variant tried and its figure, not only the winner."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_RANKING_", extra="ignore")

    # Hybrid retrieval: 1 is vector only, 0 keywords only. A little under even, since captured turns are
    # short and all-MiniLM-L6-v2 is a small model (docs/ranking.md has the measurements).
    alpha: float = Field(default=0.4, ge=0.0, le=1.0)
    # How many hybrid hits enter the rerank, as a multiple of k (at least `min_candidates`).
    candidate_factor: int = Field(default=3, ge=1, le=20)
    min_candidates: int = Field(default=30, ge=1, le=1000)
    # Graph expansion on by default; the best `expand_top` hits are the seeds.
    graph_expansion: bool = True
    # Spreading activation: what graph paths bring adds to a memory's own search score (True), or only
    # the best single path counts (False).
    spread: bool = True
    expand_top: int = Field(default=5, ge=0, le=50)
    # A turn `d` steps from a seed (d <= neighbour_hops) gets neighbour_decay**d of the seed's relevance.
    neighbour_decay: float = Field(default=0.5, ge=0.0, le=1.0)
    neighbour_hops: int = Field(default=2, ge=0, le=5)
    # A memory SIMILAR_TO a seed (and not found by search) gets this share of the seed's relevance, times
    # the similarity. Off by default: on the LoCoMo dev set every weight tried (0.1 to 0.5) ranked worse
    # than none, as near-duplicates of a hit crowd out different evidence (docs/ranking.md).
    similar_decay: float = Field(default=0.0, ge=0.0, le=1.0)
    similar_limit: int = Field(default=3, ge=0, le=50)
    # Multi-hop (bridging.py): each of the best `bridge_seeds` memories after the first round seeds a
    # vector search for the question and itself together (query + bridge_seed_weight x seed); its
    # `bridge_limit` nearest join the pool with bridge_weight x the seed's relevance x their closeness.
    bridge_seeds: int = Field(default=3, ge=0, le=20)
    bridge_limit: int = Field(default=10, ge=1, le=100)
    bridge_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    bridge_seed_weight: float = Field(default=1.0, ge=0.0, le=4.0)
    # Same-entity memories: entities of the query pull in up to `entity_limit` turns each; their
    # relevance is `entity_weight` x the entity's specificity (IDF) x their closeness to the query.
    entity_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    entity_limit: int = Field(default=20, ge=0, le=500)
    # Entities in more turns than this specificity allows (IDF in [0, 1]) link nothing.
    min_entity_specificity: float = Field(default=0.25, ge=0.0, le=1.0)
    # Memories that mention the query's entities gain up to this share of their relevance.
    entity_boost: float = Field(default=0.5, ge=0.0, le=2.0)
    # Rerank: final = relevance x (1 + recency_weight x recency + importance_weight x importance
    #                              + strength_weight x strength).
    recency_half_life_days: float = Field(default=30.0, gt=0)
    recency_weight: float = Field(default=0.1, ge=0.0, le=1.0)
    importance_weight: float = Field(default=0.2, ge=0.0, le=1.0)
    # A memory whose turn realises a mined pattern (dreaming) is raised by the pattern's proven success:
    # relevance x (1 + pattern_weight x the lower credible bound of its success).
    pattern_weight: float = Field(default=0.2, ge=0.0, le=1.0)
    # How much a memory's strength (StrengthSettings: the law's parameters, shared with forgetting) weighs.
    strength_weight: float = Field(default=0.1, ge=0.0, le=1.0)
    # A superseded, disproven or retracted memory keeps this share less of its relevance (it still comes
    # back, flagged); a downgraded or uncertain one (less certain, not wrong) the smaller downgraded_penalty.
    superseded_penalty: float = Field(default=0.5, ge=0.0, le=1.0)
    downgraded_penalty: float = Field(default=0.2, ge=0.0, le=1.0)
    # A conditional plan whose condition came true holds now: relevance x (1 + current_boost).
    current_boost: float = Field(default=0.5, ge=0.0, le=2.0)
    # A memory that says nothing ("Hey, me again.", "Ha, fair enough.": no telling word once small talk is
    # set aside) keeps this share less of its relevance: it answers no question, yet a preamble
    # ("Hey, quick one: ...") or a vague question matched it above the facts (small_talk.py).
    small_talk_penalty: float = Field(default=0.5, ge=0.0, le=1.0)
    # Recall warns that the answer may not be in memory when the best match is below absent_below_match,
    # when the top items mention less than absent_below_coverage of what the query names (off by default:
    # on LoCoMo it warned on 36% of adversarial questions and 33% of answerable ones, telling them apart
    # no better than chance), and when the question names someone that the top `absent_subject_depth`
    # items do not answer for: nobody of that name, or the best topic matches are about others
    # (subjects.py; 47% against 10% there). With the name check carrying questions about the wrong
    # person, the match bar went from 0.45 to 0.40: on the development histories answerable questions
    # warned fell from 5% to 1% with the same 97% of wrong-person ones, and LoCoMo's figures did not move.
    # docs/ranking.md has the figures.
    absent_below_match: float = Field(default=0.40, ge=-1.0, le=1.0)
    absent_below_coverage: float = Field(default=0.0, ge=0.0, le=1.0)
    absent_subject_depth: int = Field(default=10, ge=0, le=100)
    # A cross-encoder (SOMNIA_RERANKER_*; somnia_reranker), when one is configured, reads the
    # `rerank_top` best of a Recall answer and orders them by `rerank_share` of its own order (the rest
    # by the pipeline's). It runs on spare capacity: only while at most `rerank_max_in_flight` answers
    # are in flight in the process and its threads waited for a core no more than `rerank_max_cpu_wait`
    # of their ready time lately (cpu_wait.py; 1 reads whatever the load). Past `rerank_timeout_s`, on
    # an error, or under load the answer goes out in the pipeline's order, so a slow or busy model
    # costs the order, never the answer or the throughput. Ten on 2 cores: ~70 ms a recall
    # (ms-marco-MiniLM-L-12 int8); 20 found more evidence but cost ~160 ms (docs/ranking.md).
    rerank_top: int = Field(default=10, ge=0, le=100)
    rerank_share: float = Field(default=1.0, ge=0.0, le=1.0)
    rerank_timeout_s: float = Field(default=0.5, gt=0.0)
    rerank_max_in_flight: int = Field(default=1, ge=1, le=1000)
    rerank_max_cpu_wait: float = Field(default=0.4, ge=0.0, le=1.0)
    # Maximal marginal relevance: 1 ranks by score alone, lower trades score for diversity.
    mmr_lambda: float = Field(default=0.85, ge=0.0, le=1.0)


class WarmPackSettings(BaseSettings):
    """The warm pack's budgets and where packs live, from SOMNIA_WARM_* variables (recall and
    cache-warming read the same ones)."""

    model_config = SettingsConfigDict(env_prefix="SOMNIA_WARM_", extra="ignore")

    l1_tokens: int = Field(default=8_000, ge=1)
    l2_tokens: int = Field(default=24_000, ge=1)
    l3_tokens: int = Field(default=64_000, ge=1)
    l4_tokens: int = Field(default=32_000, ge=1)
    # The largest budget a WarmCache request may ask for, per layer.
    max_layer_tokens: int = Field(default=256_000, ge=1)
    bucket: str = Field(default=WARM_PACKS_BUCKET, pattern=r"^[a-zA-Z0-9_-]+$")
    # Packs expire from the bucket after this long; WarmCache then builds a fresh one on demand.
    ttl_s: float = Field(default=24 * 3600.0, gt=0)
    recent_sessions: int = Field(default=3, ge=0, le=50)
    related_k: int = Field(default=40, ge=1, le=100)
    # Insights and procedures from dreaming may fill at most this share of a layer: under a tight
    # budget, one insight's quotes cost what several directly relevant memories would.
    dreamt_share: float = Field(default=0.25, ge=0.0, le=1.0)
    # ...and an insight joins L3 only when its cosine to the opening and recent topics reaches this
    # (all-MiniLM-L6-v2: related sentences score about 0.4-0.7, unrelated ones 0-0.2). A greeting
    # predicts no insight, and then none takes the place of a memory.
    insight_min_cosine: float = Field(default=0.35, ge=-1.0, le=1.0)

    # The opening's nearest memories that join the pack's pool, and the share of L4 chosen afresh each
    # session (the rest keeps the last pack's order, a stable prefix for prompt caches).
    pool_k: int = Field(default=200, ge=1, le=1000)
    l4_refresh: float = Field(default=0.25, ge=0.0, le=1.0)
    # Live wake (WakeDelta): a delta's budget when the call names none, how many memories the turn
    # recalls before what the agent holds is left out, and the relevance a memory needs to be offered.
    wake_tokens: int = Field(default=1_000, ge=1)
    wake_k: int = Field(default=20, ge=1, le=100)
    wake_min_relevance: float = Field(default=0.3, ge=0.0, le=1.0)
    # ...and the cosine it needs to the turn (all-MiniLM-L6-v2: unrelated sentences score about 0-0.2).
    wake_min_cosine: float = Field(default=0.25, ge=-1.0, le=1.0)

    def budgets(self) -> dict[LayerName, int]:
        return {"L1": self.l1_tokens, "L2": self.l2_tokens, "L3": self.l3_tokens, "L4": self.l4_tokens}


@dataclass(frozen=True)
class RetrievalConfig:
    """What a ranking process (recall, cache-warming) reads from the environment, read once where it
    starts and handed to what it builds: ranking knobs, warm pack knobs, and the token counter."""

    ranking: RankingSettings
    warm: WarmPackSettings
    tokens: TokenCounter

    @classmethod
    def from_env(
        cls, *, ranking: RankingSettings | None = None, warm: WarmPackSettings | None = None
    ) -> RetrievalConfig:
        return cls(
            ranking or RankingSettings(),
            warm or WarmPackSettings(),
            create_token_counter(TokenizerSettings()),
        )
