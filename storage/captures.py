"""The `captures` table: every fetch (live or from a web archive) with its evidence, and the
questions callers ask of it (was a worker's capture written already, has a source any)."""
from __future__ import annotations

from typing import Any, Iterable

import sqlite_utils

from remarkwatch.storage.rows import insert_row, first_row, update_row


def key_seen(db: sqlite_utils.Database, capture_key: str) -> bool:
    return db.execute("SELECT 1 FROM captures WHERE capture_key = ?", [capture_key]).fetchone() is not None


def source_seen(db: sqlite_utils.Database, source: str) -> bool:
    return db.execute("SELECT 1 FROM captures WHERE source = ? LIMIT 1", [source]).fetchone() is not None


def insert_capture(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return insert_row(db, "captures", row)


def link_capture(db: sqlite_utils.Database, capture_id: int, document_id: int,
                 version_id: int | None) -> None:
    update_row(db, "captures", capture_id, {"document_id": document_id, "version_id": version_id})


def last_reader(db: sqlite_utils.Database, document_id: int, before_id: int) -> str | None:
    """The extractor that read the newest live, successful capture of a document before capture
    `before_id` (None when no such capture records one)."""
    row = first_row(db, "SELECT extractor FROM captures WHERE document_id = ? AND id < ? AND outcome = 'ok' "
                        "AND origin IS NOT 'wayback' AND extractor IS NOT NULL AND extractor != '' "
                        "ORDER BY id DESC LIMIT 1", [document_id, before_id])
    return row["extractor"] if row else None


def set_reader(db: sqlite_utils.Database, capture_id: int, extractor: str) -> None:
    """A stored capture was extracted again (reprocess): it is now read by `extractor`."""
    update_row(db, "captures", capture_id, {"extractor": extractor or None})


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


def memento_capture(db: sqlite_utils.Database, memento_url: str, *, reached: bool = False) -> dict | None:
    """The latest capture read from `memento_url` (with `reached`: one that was not a network error)."""
    skip = " AND outcome NOT IN ('network_error')" if reached else ""
    return first_row(db, f"SELECT * FROM captures WHERE memento_url = ?{skip} ORDER BY id DESC LIMIT 1",
                     [memento_url])


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


def change_captures(db: sqlite_utils.Database, change_id: int) -> list[dict]:
    """The stored captures of a change's two versions (before and after): its evidence, oldest first."""
    return list(db.query(
        "SELECT c.* FROM captures c WHERE c.blob_hash IS NOT NULL AND c.status IS NOT NULL AND c.id IN "
        "(SELECT v.capture_id FROM versions v JOIN changes x ON v.id IN (x.from_version_id, x.to_version_id) "
        "WHERE x.id = ?) ORDER BY c.id", [change_id]))
