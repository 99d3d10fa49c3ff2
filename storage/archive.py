"""Reads and writes of the archive tables. Callers group writes with `db.atomic()`."""
from __future__ import annotations

import hashlib
import json
import os
import weakref
import zlib
from typing import Any, Iterable

import sqlite_utils


def insert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """INSERT with plain SQL: the per-page path avoids sqlite-utils' per-call table introspection."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    return db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def first_row(db: sqlite_utils.Database, sql: str, params: Iterable = ()) -> dict | None:
    """The first row of a SELECT as a dict, or None: the per-page reads skip `db.query`'s savepoint
    around every statement (three statements for one)."""
    cursor = db.execute(sql, list(params))
    row = cursor.fetchone()
    return None if row is None else dict(zip((column[0] for column in cursor.description), row))


def update_row(db: sqlite_utils.Database, table: str, row_id: int, fields: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*fields.values(), row_id])


def put_blob(db: sqlite_utils.Database, content: bytes, digest: str | None = None,
             compressed: bytes | None = None) -> str:
    """Store raw bytes once per distinct SHA-256, zlib-compressed; return the hash. `digest` and
    `compressed` are the two when a worker process computed them already."""
    if digest is None or compressed is None:
        digest, compressed = hashlib.sha256(content).hexdigest(), zlib.compress(content, 6)
    db.execute(
        "INSERT OR IGNORE INTO blobs (hash, size, encoding, content) VALUES (?, ?, 'zlib', ?)",
        [digest, len(content), compressed],
    )
    return digest


def get_blob(db: sqlite_utils.Database, digest: str) -> bytes | None:
    row = db.execute("SELECT encoding, content FROM blobs WHERE hash = ?", [digest]).fetchone()
    if row is None:
        return None
    return zlib.decompress(row[1]) if row[0] == "zlib" else row[1]


def start_run(db: sqlite_utils.Database, sources: Iterable[str], now: str) -> int:
    # Versions a killed pass wrote but had not indexed for search yet (m012).
    with db.atomic():
        index_versions(db)
    # A run still marked running belongs to a process that died: say so instead of lying.
    db.execute(
        "UPDATE runs SET outcome = 'interrupted', finished_at = COALESCE(finished_at, ?) "
        "WHERE outcome = 'running'",
        [now],
    )
    return insert_row(db, "runs", {
        "started_at": now, "sources": ",".join(sources), "pid": os.getpid(),
        "outcome": "running", "pages": 0, "new": 0, "edited": 0, "unchanged": 0, "failed": 0,
    })


def finish_run(db: sqlite_utils.Database, run_id: int, now: str, outcome: str,
               counts: dict[str, int], error: str | None = None) -> None:
    update_row(db, "runs", run_id, {"finished_at": now, "outcome": outcome, "error": error, **counts})


def count_run(db: sqlite_utils.Database, run_id: int, counts: dict[str, int]) -> None:
    """The pass's counts so far, written with each capture, so a killed run still shows them."""
    update_row(db, "runs", run_id, counts)


def insert_capture(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return insert_row(db, "captures", row)


def link_capture(db: sqlite_utils.Database, capture_id: int, document_id: int,
                 version_id: int | None) -> None:
    update_row(db, "captures", capture_id, {"document_id": document_id, "version_id": version_id})


def find_document(db: sqlite_utils.Database, key: str, urls: Iterable[str]) -> dict | None:
    """Find a document by its identity key, else by any URL it was ever seen at."""
    row = first_row(db, "SELECT * FROM documents WHERE key = ?", [key])
    if row is not None:
        return row
    for url in dict.fromkeys(url for url in urls if url):     # each URL once, in order
        hit = first_row(db, "SELECT d.* FROM documents d JOIN document_urls u ON u.document_id = d.id "
                            "WHERE u.url = ? ORDER BY d.id LIMIT 1", [url])
        if hit is not None:
            return hit
    return None


def create_document(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return insert_row(db, "documents", row)


def touch_document(db: sqlite_utils.Database, document_id: int, fields: dict[str, Any]) -> None:
    update_row(db, "documents", document_id, fields)


def remember_urls(db: sqlite_utils.Database, document_id: int, urls: Iterable[str], now: str) -> None:
    for url in {u for u in urls if u}:
        db.execute(
            "INSERT INTO document_urls (document_id, url, first_seen, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (document_id, url) DO UPDATE SET last_seen = excluded.last_seen",
            [document_id, url, now, now],
        )


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


def insert_change(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return insert_row(db, "changes", row)


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


CHANGE_COLUMNS = (
    "c.id, c.kind, c.detected_at, c.document_id, c.from_version_id, c.to_version_id, "
    "c.changed_fields, c.summary, c.diff, c.field_diffs, c.run_id, c.classes, c.significance, "
    "c.silent, c.edits, c.reverted_to_version_id, c.historical, c.observed_at, c.previous_seen_at, "
    "v.memento_url, f.memento_url AS from_memento_url, d.source, COALESCE(v.url, d.url) AS url, "
    "COALESCE(v.title, f.title, d.title) AS title"
)
JSON_COLUMNS = {"changed_fields": "[]", "field_diffs": "{}", "classes": "[]", "edits": "[]"}


def _change_rows(db: sqlite_utils.Database, where: str, params: list) -> list[dict]:
    rows = list(db.query(
        f"SELECT {CHANGE_COLUMNS} FROM changes c JOIN documents d ON d.id = c.document_id "
        f"LEFT JOIN versions v ON v.id = c.to_version_id "
        f"LEFT JOIN versions f ON f.id = c.from_version_id {where}",
        params,
    ))
    for row in rows:
        for name, empty in JSON_COLUMNS.items():
            row[name] = json.loads(row[name] or empty)
        row["silent"] = bool(row["silent"])
        row["historical"] = bool(row["historical"])
    return rows


def recent_changes(db: sqlite_utils.Database, *, limit: int = 20, kinds: Iterable[str] = (),
                   source: str | None = None, classes: Iterable[str] = (),
                   min_significance: int = 0, document_id: int | None = None,
                   since_id: int | None = None, since_time: str | None = None) -> list[dict]:
    """Changes, newest first; with `since_id` or `since_time`, only later ones, oldest first
    (for a script that polls: each call picks up where the last one stopped)."""
    clauses, params = [], []
    if since_id is not None:
        clauses.append("c.id > ?")
        params.append(since_id)
    if since_time is not None:
        clauses.append("c.detected_at > ?")
        params.append(since_time)
    kinds, classes = list(kinds), list(classes)
    if kinds:
        clauses.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if classes:
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(c.classes) WHERE value IN ({', '.join('?' * len(classes))}))")
        params.extend(classes)
    if source:
        clauses.append("d.source = ?")
        params.append(source)
    if min_significance:
        clauses.append("c.significance >= ?")
        params.append(min_significance)
    if document_id is not None:
        clauses.append("c.document_id = ?")
        params.append(document_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    order = "ASC" if since_id is not None or since_time is not None else "DESC"
    return _change_rows(db, f"{where} ORDER BY c.id {order} LIMIT ?", [*params, limit])


def change_sides(db: sqlite_utils.Database, change_id: int) -> str | None:
    """The side-by-side rows stored with a change (JSON), if it has them."""
    row = db.execute("SELECT sides FROM changes WHERE id = ?", [change_id]).fetchone()
    return row[0] if row else None


def get_change(db: sqlite_utils.Database, change_id: int) -> dict | None:
    rows = _change_rows(db, "WHERE c.id = ?", [change_id])
    return rows[0] if rows else None


def get_document(db: sqlite_utils.Database, document_id: int) -> dict | None:
    return next(db.query("SELECT * FROM documents WHERE id = ?", [document_id]), None)


def resolve_document(db: sqlite_utils.Database, ref: str) -> dict | None:
    """A document by id, by any URL it was seen at (trailing slash optional), by key or by post id."""
    ref = ref.strip()
    if ref.isdigit():
        found = get_document(db, int(ref))
        if found is not None:
            return found
    urls = [ref, ref.rstrip("/"), ref.rstrip("/") + "/"]
    marks = ", ".join("?" * len(urls))
    row = next(db.query(
        f"SELECT d.* FROM documents d WHERE d.url IN ({marks}) OR d.canonical_url IN ({marks}) "
        f"OR d.key = ? OR d.id IN (SELECT document_id FROM document_urls WHERE url IN ({marks})) "
        f"ORDER BY d.id LIMIT 1",
        [*urls, *urls, ref, *urls],
    ), None)
    if row is None and ref.isdigit():
        row = next(db.query("SELECT * FROM documents WHERE post_id = ? ORDER BY id LIMIT 1", [ref]), None)
    return row


def document_versions(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    return list(db.query(
        "SELECT v.id, v.seq, v.created_at, v.observed_at, v.origin, v.memento_url, v.url, v.title, "
        "v.modified_time, v.content_hash, v.extractor, "
        "(SELECT COUNT(*) FROM turns t WHERE t.version_id = v.id) AS turns, "
        "length(v.body_text) - length(replace(v.body_text, ' ', '')) + 1 AS words "
        "FROM versions v WHERE v.document_id = ? ORDER BY v.observed_at, v.seq",
        [document_id],
    ))


def document_urls(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    return list(db.query(
        "SELECT url, first_seen, last_seen FROM document_urls WHERE document_id = ? ORDER BY first_seen, url",
        [document_id],
    ))


def latest_good_captures(db: sqlite_utils.Database, outcomes: Iterable[str],
                         sources: Iterable[str] | None = None) -> list[dict]:
    """The newest stored 2xx capture of each document (and of each URL no document holds)."""
    outcomes = list(outcomes)
    params: list = [*outcomes]
    source_clause = ""
    if sources:
        sources = list(sources)
        source_clause = f"AND source IN ({', '.join('?' * len(sources))})"
        params.extend(sources)
    return list(db.query(
        f"""SELECT * FROM captures WHERE id IN (
              SELECT MAX(id) FROM captures
              WHERE blob_hash IS NOT NULL AND status BETWEEN 200 AND 299 AND origin IS NOT 'wayback'
                AND outcome IN ({', '.join('?' * len(outcomes))}) {source_clause}
                AND (document_id IS NOT NULL OR url NOT IN (SELECT url FROM document_urls))
              GROUP BY COALESCE('d' || document_id, 'u' || url))
            ORDER BY id""",
        params,
    ))


EXPORT_SQL = {
    "documents": "SELECT * FROM documents d {where} ORDER BY d.id",
    "versions": "SELECT v.* FROM versions v JOIN documents d ON d.id = v.document_id {where} ORDER BY v.id",
    "changes": "SELECT c.id, c.detected_at, c.kind, d.source, coalesce(v.title, f.title, d.title) AS title, "
               "coalesce(v.url, d.url) AS url, c.significance, c.silent, c.classes, c.changed_fields, c.summary, "
               "c.document_id, c.from_version_id, c.to_version_id, c.reverted_to_version_id, c.run_id, c.edits, "
               "c.field_diffs, c.diff FROM changes c JOIN documents d ON d.id = c.document_id "
               "LEFT JOIN versions v ON v.id = c.to_version_id LEFT JOIN versions f ON f.id = c.from_version_id "
               "{where} ORDER BY c.id",
}


def export_rows(db: sqlite_utils.Database, table: str, source: str | None = None):
    """Every row of documents, versions or changes (of one source), oldest first, streamed."""
    where = "WHERE d.source = ?" if source else ""
    return db.query(EXPORT_SQL[table].format(where=where), [source] if source else [])


def get_version(db: sqlite_utils.Database, version_id: int) -> dict | None:
    return next(db.query("SELECT * FROM versions WHERE id = ?", [version_id]), None)


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: db[t].count for t in ("documents", "versions", "changes", "captures", "runs", "turns")}


def source_documents(db: sqlite_utils.Database, source: str) -> list[dict]:
    """The id and URL of every document of `source`, oldest first."""
    return list(db.query("SELECT id, url FROM documents WHERE source = ? ORDER BY id", [source]))


def memento_capture(db: sqlite_utils.Database, memento_url: str, *, reached: bool = False) -> dict | None:
    """The latest capture read from `memento_url` (with `reached`: one that was not a network error)."""
    skip = " AND outcome NOT IN ('network_error')" if reached else ""
    return first_row(db, f"SELECT * FROM captures WHERE memento_url = ?{skip} ORDER BY id DESC LIMIT 1",
                     [memento_url])


def versions_observed(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    """A document's versions in the order the site showed them."""
    return list(db.query("SELECT * FROM versions WHERE document_id = ? ORDER BY observed_at, seq", [document_id]))


def joined_versions(db: sqlite_utils.Database, document_id: int) -> set[tuple[int, int]]:
    """The (from, to) version pairs a change of the document already joins."""
    return set(db.execute("SELECT from_version_id, to_version_id FROM changes WHERE document_id = ? "
                          "AND from_version_id IS NOT NULL AND to_version_id IS NOT NULL", [document_id]).fetchall())


def first_observed(db: sqlite_utils.Database, document_id: int) -> str | None:
    """When the site first showed any version of the document."""
    return db.execute("SELECT MIN(observed_at) FROM versions WHERE document_id = ?", [document_id]).fetchone()[0]


def stored_captures(db: sqlite_utils.Database, *, document_id: int | None = None, source: str | None = None,
                    since: str | None = None) -> list[dict]:
    """The captures with a stored body (of a document, a source, observed since a time), oldest first."""
    clauses, params = ["c.blob_hash IS NOT NULL", "c.status IS NOT NULL"], []
    if document_id is not None:
        clauses.append("c.document_id = ?")
        params.append(document_id)
    if source:
        clauses.append("c.source = ?")
        params.append(source)
    if since:
        clauses.append("COALESCE(c.observed_at, c.fetched_at) >= ?")
        params.append(since)
    return list(db.query(f"SELECT c.* FROM captures c WHERE {' AND '.join(clauses)} ORDER BY c.id", params))


def capture_versions(db: sqlite_utils.Database, capture_id: int) -> list[dict]:
    """The versions a capture made (what a WARC metadata record says of it)."""
    return list(db.query("SELECT id, document_id, seq, observed_at, origin, memento_url, content_hash, title "
                         "FROM versions WHERE capture_id = ? ORDER BY id", [capture_id]))


def change_ids_to(db: sqlite_utils.Database, version_id: int) -> list[int]:
    """The ids of the changes that lead to a version."""
    return [r[0] for r in db.execute("SELECT id FROM changes WHERE to_version_id = ? ORDER BY id",
                                     [version_id]).fetchall()]
