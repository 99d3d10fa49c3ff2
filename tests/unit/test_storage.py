"""Storage: migrations, WAL, blobs stored once and compressed, versions append-only."""
from __future__ import annotations

import sqlite3

import pytest

from remarkwatch.storage import blobs, changes, documents, rows, runs, versions
from remarkwatch.storage.db import StorageError, integrity_check, open_db


def test_open_db_applies_schema_and_wal(tmp_path):
    db = open_db(tmp_path / "a.db")
    assert {"documents", "document_urls", "captures", "blobs", "versions", "changes", "runs"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert integrity_check(db) == ["ok"]
    open_db(tmp_path / "a.db")  # re-opening applies nothing twice


def test_blobs_deduplicated_and_compressed(tmp_path):
    db = open_db(tmp_path / "a.db")
    body = b"<html>" + b"transcript " * 2000 + b"</html>"
    assert blobs.put_blob(db, body) == blobs.put_blob(db, body)
    assert db["blobs"].count == 1
    size, stored = db.execute("SELECT size, length(content) FROM blobs").fetchone()
    assert size == len(body) and stored < size / 10
    assert blobs.get_blob(db, blobs.put_blob(db, body)) == body


def test_versions_and_changes_are_append_only(tmp_path):
    db = open_db(tmp_path / "a.db")
    doc = documents.create_document(db, {"source": "s", "key": "k", "url": "u", "first_seen": "t", "last_seen": "t"})
    version = versions.insert_version(db, {"document_id": doc, "created_at": "t", "body_text": "b", "content_hash": "h"})
    changes.insert_change(db, {"document_id": doc, "kind": "new", "to_version_id": version,
                               "detected_at": "t", "changed_fields": "[]"})
    for sql in ("UPDATE versions SET body_text = 'x'", "DELETE FROM versions",
                "UPDATE changes SET kind = 'x'", "DELETE FROM changes"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    assert versions.insert_version(db, {"document_id": doc, "created_at": "t", "body_text": "c", "content_hash": "i"}) == version + 1
    assert [r["seq"] for r in db["versions"].rows] == [1, 2]


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        open_db(path)


def test_upgrade_from_the_first_schema_keeps_every_row(tmp_path):
    """An archive written before change intelligence is upgraded in place, rows intact."""
    from sqlite_utils import Database

    from remarkwatch.storage.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_change_intelligence")
    doc = documents.create_document(old, {"source": "s", "key": "k", "url": "u", "first_seen": "t", "last_seen": "t"})
    version = rows.insert_row(old, "versions", {"document_id": doc, "seq": 1, "created_at": "t",
                                                    "body_text": "MR PRICE: Hi.", "content_hash": "h"})
    old.execute("INSERT INTO changes (document_id, kind, to_version_id, detected_at, changed_fields, summary) "
                "VALUES (?, 'new', ?, 't', '[]', 'new: T')", [doc, version])
    old.conn.commit()
    old.close()
    db = open_db(path)
    change = changes.get_change(db, 1)
    assert (change["kind"], change["to_version_id"], change["summary"]) == ("new", version, "new: T")
    assert change["classes"] == [] and change["edits"] == []
    # A removal writes no version: to_version_id may now be empty; the log stays append-only.
    db.execute("INSERT INTO changes (document_id, kind, detected_at, changed_fields) VALUES (?, 'removed', 't', '[]')", [doc])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM changes")
    assert documents.get_document(db, doc)["state"] == "active"
    # Versions written before full-text search existed are indexed by the upgrade.
    assert db.execute("SELECT rowid FROM versions_fts WHERE versions_fts MATCH 'price'").fetchall() == [(version,)]
    assert integrity_check(db) == ["ok"]


def test_upgrade_to_observed_time_keeps_versions_append_only_and_indexed(tmp_path):
    """m010 gives existing versions and changes their observed time (the time they were written),
    and puts back the append-only guards and the full-text triggers it lifted to do so."""
    from sqlite_utils import Database

    from remarkwatch.storage.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m010_history_and_evidence")
    doc = documents.create_document(old, {"source": "s", "key": "k", "url": "u", "first_seen": "t", "last_seen": "t"})
    version = rows.insert_row(old, "versions", {"document_id": doc, "seq": 1, "created_at": "2025-01-02T03:04:05+00:00",
                                                    "body_text": "MR PRICE: Hi.", "content_hash": "h"})
    old.execute("INSERT INTO changes (document_id, kind, to_version_id, detected_at, changed_fields) "
                "VALUES (?, 'new', ?, '2025-01-02T03:04:05+00:00', '[]')", [doc, version])
    old.conn.commit()
    old.close()
    db = open_db(path)
    assert db.execute("SELECT observed_at, origin FROM versions").fetchone() == ("2025-01-02T03:04:05+00:00", "live")
    assert db.execute("SELECT observed_at, historical FROM changes").fetchone() == ("2025-01-02T03:04:05+00:00", 0)
    for statement in ("UPDATE versions SET title = 'x'", "DELETE FROM versions", "UPDATE changes SET kind = 'x'"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    # One live change per version still; a historical one may lead to the same version.
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO changes (document_id, kind, to_version_id, detected_at, changed_fields) "
                   "VALUES (?, 'edited', ?, 't', '[]')", [doc, version])
    db.execute("INSERT INTO changes (document_id, kind, to_version_id, detected_at, changed_fields, historical) "
               "VALUES (?, 'edited', ?, 't', '[]', 1)", [doc, version])
    versions.insert_version(db, {"document_id": doc, "created_at": "t", "observed_at": "t", "body_text": "Q: Why?",
                                "content_hash": "h2"})
    assert len(db.execute("SELECT rowid FROM versions_fts WHERE versions_fts MATCH 'price OR why'").fetchall()) == 2
    assert integrity_check(db) == ["ok"]


def test_a_deferring_writer_indexes_in_batches_and_the_next_run_catches_up(tmp_path):
    """The writer helper indexes new versions for search a batch at a time (m012). Versions it
    wrote but had not indexed when it was killed are searchable once the next run starts."""
    writer = open_db(tmp_path / "a.db")
    versions.defer_search_index(writer)
    doc = documents.create_document(writer, {"source": "s", "key": "k", "url": "u", "first_seen": "t", "last_seen": "t"})
    for i in range(3):
        versions.insert_version(writer, {"document_id": doc, "created_at": "t", "body_text": f"MR PRICE: take {i}.",
                                        "content_hash": f"h{i}"})
    writer.conn.commit()

    def hits(db) -> int:
        return db.execute("SELECT COUNT(*) FROM versions_fts WHERE versions_fts MATCH 'price'").fetchone()[0]

    assert hits(writer) == 0 and versions.index_due(writer) == 0        # fewer than a batch: later
    writer.close()                                                   # killed before the end of its pass
    db = open_db(tmp_path / "a.db")
    runs.start_run(db, ["s"], "t")
    assert hits(db) == 3 and db.execute("SELECT indexed_upto FROM search_index").fetchone()[0] == 3
    versions.insert_version(db, {"document_id": doc, "created_at": "t", "body_text": "MR PRICE: again.", "content_hash": "h9"})
    assert hits(db) == 4                                             # any other writer indexes as it inserts
    assert integrity_check(db) == ["ok"]
    db.execute("INSERT INTO versions_fts (versions_fts) VALUES ('integrity-check')")
