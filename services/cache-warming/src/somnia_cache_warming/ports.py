"""The graph roles cache-warming uses: the reads a warm pack is built from (retrieval's ranking reads)."""

from somnia_retrieval import RankingGraph

__all__ = ["RankingGraph"]
