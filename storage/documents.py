"""The `documents` and `document_urls` tables: what is watched, under which URLs."""
from __future__ import annotations

from typing import Any, Iterable

import sqlite_utils

from remarkwatch.storage.rows import insert_row, first_row, update_row


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
    """The document was seen at these URLs at `now`: a live time, or a web archive's capture time,
    which may be older than what live crawls saw (each URL keeps its earliest and latest)."""
    for url in {u for u in urls if u}:
        db.execute(
            "INSERT INTO document_urls (document_id, url, first_seen, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (document_id, url) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)",
            [document_id, url, now, now],
        )


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


def document_urls(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    return list(db.query(
        "SELECT url, first_seen, last_seen FROM document_urls WHERE document_id = ? ORDER BY first_seen, url",
        [document_id],
    ))


def source_documents(db: sqlite_utils.Database, source: str) -> list[dict]:
    """The id and URL of every document of `source`, oldest first."""
    return list(db.query("SELECT id, url FROM documents WHERE source = ? ORDER BY id", [source]))
