"""recall: answers Recall over gRPC from the memory store (hybrid vector + BM25 search)."""
