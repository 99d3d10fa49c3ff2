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


def before_capture(change: str) -> str:
    """SQL for the id of a change's evidence before: the last capture of the old version with its
    body stored, taken no later than the change's window opens (`previous_seen_at`, last seen
    unchanged), not the old version's first capture, which may be years earlier (a page that
    repeated the same text from 2019 to 2021 has its 2021 capture as the proof that it was still
    unchanged then). `change` is the SQL alias of the changes row."""
    # k.document_id first: the captures' index on it keeps this to the document's own captures.
    return ("(SELECT k.id FROM captures k WHERE k.document_id = {c}.document_id "
            "AND k.version_id = {c}.from_version_id AND k.blob_hash IS NOT NULL "
            "AND k.status IS NOT NULL AND coalesce(k.observed_at, k.fetched_at) <= "
            "coalesce({c}.previous_seen_at, {c}.observed_at, {c}.detected_at) "
            "ORDER BY coalesce(k.observed_at, k.fetched_at) DESC, k.id DESC LIMIT 1)").format(c=change)


def change_captures(db: sqlite_utils.Database, change_id: int) -> list[dict]:
    """The stored captures of a change's evidence, oldest first: the last capture of the old
    version before the change (`before_capture`; the old version's own when there is none) and
    the new version's first capture."""
    return list(db.query(
        "SELECT c.* FROM captures c WHERE c.blob_hash IS NOT NULL AND c.status IS NOT NULL AND c.id IN "
        f"(SELECT coalesce({before_capture('x')}, f.capture_id) FROM changes x "
        "JOIN versions f ON f.id = x.from_version_id WHERE x.id = :change "
        "UNION SELECT v.capture_id FROM versions v JOIN changes x ON v.id = x.to_version_id WHERE x.id = :change) "
        "ORDER BY c.id", {"change": change_id}))
