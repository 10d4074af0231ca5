"""Behaviour only the embedded store has: its on-disk schema and migrations."""

from pathlib import Path

from somnia_memory_store.embedded.store import EmbeddedMemoryStore

from .test_memory_store_contract import record, unit

V1_SCHEMA = """
CREATE TABLE memory (rowid INTEGER PRIMARY KEY, memory_id TEXT NOT NULL UNIQUE, namespace TEXT NOT NULL,
    kind TEXT NOT NULL, text TEXT NOT NULL, session_id TEXT NOT NULL, turn_id TEXT NOT NULL, role TEXT NOT NULL,
    chunk_index INTEGER NOT NULL, occurred_at REAL NOT NULL, recorded_at REAL NOT NULL, embedder TEXT NOT NULL,
    dimension INTEGER NOT NULL, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE memory_fts USING fts5(text, content='memory', content_rowid='rowid');
CREATE TRIGGER memory_ai AFTER INSERT ON memory BEGIN
    INSERT INTO memory_fts(rowid, text) VALUES (new.rowid, new.text); END;
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO store_meta VALUES ('generation', '0'), ('embedder', 'test-embedder'), ('dimension', '8');
"""


async def test_a_store_written_by_schema_v1_is_migrated_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(V1_SCHEMA)
    old.execute(
        "INSERT INTO memory(memory_id, namespace, kind, text, session_id, turn_id, role, chunk_index, occurred_at, "
        "recorded_at, embedder, dimension, vector) VALUES ('m1', 'a/b/c', 'episodic', 'the old kayak', 's', 't', "
        "'user', 0, 0, 0, 'test-embedder', 8, ?)",
        (unit(1, 0).tobytes(),),
    )
    old.commit()
    old.close()
    store = EmbeddedMemoryStore(path)
    assert [h.record.memory_id for h in await store.keyword_search("a/b/c", "kayak", 5)] == ["m1"]
    await store.upsert([record("m2", "a new kayak", unit(0, 1))])
    assert {h.record.memory_id for h in await store.keyword_search("a/b/c", "kayak", 5)} == {"m1", "m2"}
    assert await store.keyword_search("x/y/z", "kayak", 5) == []
