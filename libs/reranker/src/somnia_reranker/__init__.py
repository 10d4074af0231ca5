"""The reranker port and its adapters: a local cross-encoder and any HTTP /rerank endpoint."""

from somnia_reranker.factory import create_reranker
from somnia_reranker.ports import Reranker, RerankerError
from somnia_reranker.settings import RerankerSettings

__all__ = ["Reranker", "RerankerError", "RerankerSettings", "create_reranker"]
