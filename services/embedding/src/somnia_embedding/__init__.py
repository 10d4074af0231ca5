"""embedding: turns captured turns into searchable memories (chunk → embed → store → memory.indexed)."""
