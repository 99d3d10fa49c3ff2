"""The `versions` and `turns` tables and the full-text index of versions (m012)."""
from __future__ import annotations

import weakref
from typing import Any, Iterable

import sqlite_utils

from remarkwatch.storage.rows import insert_row, first_row


def latest_version(db: sqlite_utils.Database, document_id: int) -> dict | None:
    """The version last observed (a backfill writes older versions after newer ones: `seq` is the
    order of writing, `observed_at` the order of the site's history)."""
    return first_row(db, "SELECT * FROM versions WHERE document_id = ? ORDER BY observed_at DESC, seq DESC LIMIT 1",
                     [document_id])


def insert_version(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    """Append a version; it is in the full-text index when this returns, unless the connection
    indexes in batches (`defer_search_index`)."""
    seq = db.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE document_id = ?", [row["document_id"]]
    ).fetchone()[0]
    version_id = insert_row(db, "versions", {**row, "seq": seq})
    if db in _deferred:
        _deferred[db] += 1
    else:
        index_versions(db)
    return version_id


# Connections that index new versions a batch at a time -> versions written since the last batch.
_deferred: "weakref.WeakKeyDictionary[sqlite_utils.Database, int]" = weakref.WeakKeyDictionary()


SEARCH_BATCH = 500


def index_versions(db: sqlite_utils.Database) -> int:
    """Add every version the full-text index does not have yet (m012); return how many. Call it
    in a transaction, or it is one of its own."""
    upto = db.execute("SELECT indexed_upto FROM search_index").fetchone()[0]
    added = db.execute("INSERT INTO versions_fts (rowid, title, speakers, body_text) "
                       "SELECT id, title, speakers, body_text FROM versions WHERE id > ? ORDER BY id", [upto]).rowcount
    if added:
        db.execute("UPDATE search_index SET indexed_upto = (SELECT MAX(id) FROM versions)")
    if db in _deferred:
        _deferred[db] = 0
    return added


def defer_search_index(db: sqlite_utils.Database) -> None:
    """Index this connection's new versions a batch at a time: `index_due` after each document's
    transaction, `index_versions` at the end. Until then they are missing from search only."""
    _deferred.setdefault(db, 0)


def index_due(db: sqlite_utils.Database) -> int:
    """On a deferring connection, index the waiting versions once there are SEARCH_BATCH of them
    (in a transaction of their own)."""
    if _deferred.get(db, 0) < SEARCH_BATCH:
        return 0
    with db.atomic():
        return index_versions(db)


def insert_turns(db: sqlite_utils.Database, version_id: int, turns: Iterable) -> None:
    db.conn.executemany(
        "INSERT INTO turns (version_id, seq, speaker, first_para, last_para, text) VALUES (?, ?, ?, ?, ?, ?)",
        [(version_id, t.seq, t.speaker, t.first_para, t.last_para, t.text) for t in turns],
    )


def versions_without_turns(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query(
        "SELECT id, body_text FROM versions v WHERE NOT EXISTS (SELECT 1 FROM turns t WHERE t.version_id = v.id)"
    ))


def earlier_hashes(db: sqlite_utils.Database, document_id: int, before: dict) -> dict[str, int]:
    """Content hash -> newest version id, for a document's versions observed before `before`."""
    rows = db.execute(
        "SELECT content_hash, id FROM versions WHERE document_id = ? AND (observed_at, seq) < (?, ?) "
        "ORDER BY observed_at, seq",
        [document_id, before["observed_at"], before["seq"]],
    ).fetchall()
    return {digest: version_id for digest, version_id in rows}


def number_of(version_id: str) -> str:
    """SQL for the number a reader knows a version by: its place in its document's history in the
    site's time order (observed_at, then the order of writing), 1 for the oldest. `seq` is the order
    of writing, which a backfill makes differ (history found later is written after what live
    crawls saw), and the id is the archive's; pages, feeds and commands show this number only.
    `version_id` is an SQL expression for the version's id."""
    return ("(SELECT COUNT(*) FROM versions x JOIN versions w ON w.document_id = x.document_id "
            f"AND (w.observed_at, w.seq) <= (x.observed_at, x.seq) WHERE x.id = {version_id})")


def document_versions(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    return list(db.query(
        f"SELECT v.id, v.seq, {number_of('v.id')} AS number, v.created_at, v.observed_at, v.origin, v.memento_url, v.url, v.title, "
        "v.modified_time, v.content_hash, v.extractor, "
        "(SELECT COUNT(*) FROM turns t WHERE t.version_id = v.id) AS turns, "
        "length(v.body_text) - length(replace(v.body_text, ' ', '')) + 1 AS words "
        "FROM versions v WHERE v.document_id = ? ORDER BY v.observed_at, v.seq",
        [document_id],
    ))


def get_version(db: sqlite_utils.Database, version_id: int) -> dict | None:
    return next(db.query(f"SELECT v.*, {number_of('v.id')} AS number FROM versions v WHERE v.id = ?", [version_id]),
                None)


def versions_observed(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    """A document's versions in the order the site showed them."""
    return list(db.query("SELECT * FROM versions WHERE document_id = ? ORDER BY observed_at, seq", [document_id]))


def first_observed(db: sqlite_utils.Database, document_id: int) -> str | None:
    """When the site first showed any version of the document."""
    return db.execute("SELECT MIN(observed_at) FROM versions WHERE document_id = ?", [document_id]).fetchone()[0]


def capture_versions(db: sqlite_utils.Database, capture_id: int) -> list[dict]:
    """The versions a capture made (what a WARC metadata record says of it)."""
    return list(db.query("SELECT id, document_id, seq, observed_at, origin, memento_url, content_hash, title "
                         "FROM versions WHERE capture_id = ? ORDER BY id", [capture_id]))
