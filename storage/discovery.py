"""The state of `backfill --discover` (m016): a source's discovery run, each CDX query's resume
key, the release URLs found and which were backfilled. Each page of a listing is written with its
resume key in one transaction, so a killed run asks again for at most the page it was reading."""
from __future__ import annotations

from typing import Iterable

import sqlite_utils

from remarkwatch.storage.rows import first_row, insert_row


def open_discovery(db: sqlite_utils.Database, source: str, since: str, until: str, now: str,
                   queries: Iterable[tuple[str, str]]) -> dict:
    """The unfinished discovery of `source` over [since, until] (`""` for open ends), or a new one
    with its queries (url, matchType); a finished one is not reopened: a new run starts afresh."""
    with db.atomic():
        row = first_row(db, "SELECT * FROM discoveries WHERE source = ? AND since = ? AND until = ? "
                            "AND finished_at IS NULL ORDER BY id DESC LIMIT 1", [source, since, until])
        if row is None:
            discovery_id = insert_row(db, "discoveries", {"source": source, "since": since, "until": until,
                                                          "started_at": now})
            for query, match_type in queries:
                db.execute("INSERT INTO discovery_queries (discovery_id, query, match_type) VALUES (?, ?, ?)",
                           [discovery_id, query, match_type])
            row = first_row(db, "SELECT * FROM discoveries WHERE id = ?", [discovery_id])
    return row


def open_queries(db: sqlite_utils.Database, discovery_id: int) -> list[dict]:
    """The queries whose listing is not done, with the resume key to ask next (None: the first page)."""
    return list(db.query("SELECT * FROM discovery_queries WHERE discovery_id = ? AND done = 0 ORDER BY query",
                         [discovery_id]))


def save_page(db: sqlite_utils.Database, discovery_id: int, query: str, urls: list[tuple[str, str]], seen: int,
              resume_key: str | None, now: str) -> None:
    """One listing page: its release URLs (urlkey, url; a urlkey found before is kept as it was), the
    lines it held, and the key of the next page (None: the listing is done), in one transaction."""
    with db.atomic():
        db.conn.executemany("INSERT OR IGNORE INTO discovery_urls (discovery_id, urlkey, url, found_at) VALUES (?, ?, ?, ?)",
                       [(discovery_id, key, url, now) for key, url in urls])
        db.execute("UPDATE discovery_queries SET resume_key = ?, pages = pages + 1, seen = seen + ?, done = ? "
                   "WHERE discovery_id = ? AND query = ?",
                   [resume_key, seen, int(resume_key is None), discovery_id, query])


def mark_listed(db: sqlite_utils.Database, discovery_id: int, now: str) -> None:
    with db.atomic():
        db.execute("UPDATE discoveries SET listed_at = coalesce(listed_at, ?) WHERE id = ?", [now, discovery_id])


def pending_urls(db: sqlite_utils.Database, discovery_id: int) -> list[dict]:
    """The releases found and not yet backfilled, in the index's (urlkey) order."""
    return list(db.query("SELECT urlkey, url FROM discovery_urls WHERE discovery_id = ? AND backfilled_at IS NULL "
                         "ORDER BY urlkey", [discovery_id]))


def mark_backfilled(db: sqlite_utils.Database, discovery_id: int, urlkey: str, now: str) -> None:
    with db.atomic():
        db.execute("UPDATE discovery_urls SET backfilled_at = ? WHERE discovery_id = ? AND urlkey = ?",
                   [now, discovery_id, urlkey])


def finish(db: sqlite_utils.Database, discovery_id: int, now: str) -> None:
    with db.atomic():
        db.execute("UPDATE discoveries SET finished_at = ? WHERE id = ?", [now, discovery_id])


def counts(db: sqlite_utils.Database, discovery_id: int) -> dict:
    """Releases found and backfilled, and the listing's pages and lines so far."""
    urls = first_row(db, "SELECT count(*) AS found, count(backfilled_at) AS backfilled FROM discovery_urls "
                         "WHERE discovery_id = ?", [discovery_id])
    pages = first_row(db, "SELECT coalesce(sum(pages), 0) AS pages, coalesce(sum(seen), 0) AS seen "
                          "FROM discovery_queries WHERE discovery_id = ?", [discovery_id])
    return {**urls, **pages}
