"""graph: links every session into the memory graph (Session, Turn, Memory; NEXT, PART_OF)."""
