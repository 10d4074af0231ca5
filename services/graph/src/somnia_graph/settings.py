"""graph's settings, from SOMNIA_GRAPH_SERVICE_* variables (plus SOMNIA_NATS_URL and SOMNIA_GRAPH_* for
the store)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from somnia_service_runtime import ConsumerSettings


class GraphServiceSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_GRAPH_SERVICE_", extra="ignore", populate_by_name=True)

    durable: str = "graph"
    # Linking is enrichment, not the hot path: larger, less frequent batches mean fewer transactions
    # competing with embedding's (measured on 2 cores: capture -> recallable p99 859 -> 657 ms).
    batch_size: int = Field(default=256, ge=1, le=1024)
    batch_wait_s: float = Field(default=0.5, gt=0)
    # Entities (MENTIONS) from the extractor (SOMNIA_EXTRACTOR_*); off links turns by time alone.
    extract_entities: bool = True
    # SIMILAR_TO: each new memory links to its `similar_top` nearest memories with cosine at least
    # `similar_threshold` (all-MiniLM-L6-v2 puts paraphrases above about 0.7, one topic above about 0.5).
    similar_top: int = Field(default=3, ge=0, le=20)
    similar_threshold: float = Field(default=0.6, ge=-1.0, le=1.0)
    # A new memory that gives an attribute a new value, or corrects itself, SUPERSEDES the earlier memory
    # of the same speaker it is nearest to (cosine at least this).
    detect_supersession: bool = True
    supersede_min_cosine: float = Field(default=0.55, ge=-1.0, le=1.0)
    # A report of a thing done ("we published the release notes") closes the plans and promises it is
    # at least this close to and shares a topic word with: they are superseded, and the warm pack stops
    # offering them as open threads. Off leaves every thread open.
    close_threads: bool = True
    thread_min_cosine: float = Field(default=0.55, ge=-1.0, le=1.0)
    # A new memory that takes an earlier one back ("strike what I said about the gym", "don't keep that")
    # gives it a retracted / deleted_by_user verdict: Recall leaves it out unless asked.
    detect_retractions: bool = True
    # Wording the cues do not know is read from the memory's embedding (speech_acts.py): a user's short
    # statement taken for a retraction or an ending at least this surely. 1.0 turns the reader off.
    speech_act_threshold: float = Field(default=0.9, ge=0.5, le=1.0)
    # ... or at least this surely (and no more than the threshold) when it uses a word that withdraws
    # (forget, scratch, disregard): plain talk seldom does, while ordinary news uses an ending's words.
    speech_act_withdrawing_threshold: float = Field(default=0.7, ge=0.5, le=1.0)
    # A retraction's topic ("the on-call rota", "my fitness club") is looked for by its own embedding (the
    # store's offline embedder, loaded at the first retraction by topic or ending), not the whole turn's,
    # whose "forget what I told you about" outweighs the topic.
    embed_retraction_topics: bool = True
    # Dependencies ("only because", "as long as") and conditional plans ("should I ..., I'd ...") become
    # DEPENDS_ON / REPLACES_IF edges; a later change to their condition makes dependents uncertain (up
    # to dependency_max_hops down a chain) and plans current.
    track_dependencies: bool = True
    dependency_max_hops: int = Field(default=4, ge=1, le=16)
    # An LLM judge (any OpenAI-compatible endpoint) for supersessions and contradictions the cues miss:
    # off unless judge_base_url is set. It reads each new memory against its nearest older memory of the
    # same speaker (cosine at least judge_min_cosine), at most judge_max_pairs per batch.
    judge_base_url: str = ""
    judge_model: str = "gpt-4o-mini"
    judge_api_key: str = ""
    judge_timeout_s: float = Field(default=20.0, gt=0)
    judge_min_cosine: float = Field(default=0.5, ge=-1.0, le=1.0)
    judge_max_pairs: int = Field(default=16, ge=1, le=1000)
    health_port: int = Field(default=50054, ge=0, le=65535)
