"""Reads and writes of the archive tables. Callers group writes with `db.atomic()`."""
from __future__ import annotations

import hashlib
import json
import os
import zlib
from typing import Any, Iterable

import sqlite_utils


def _insert(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """INSERT with plain SQL: the per-page path avoids sqlite-utils' per-call table introspection."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    return db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def _update(db: sqlite_utils.Database, table: str, row_id: int, fields: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*fields.values(), row_id])


def put_blob(db: sqlite_utils.Database, content: bytes) -> str:
    """Store raw bytes once per distinct SHA-256, zlib-compressed; return the hash."""
    digest = hashlib.sha256(content).hexdigest()
    db.execute(
        "INSERT OR IGNORE INTO blobs (hash, size, encoding, content) VALUES (?, ?, 'zlib', ?)",
        [digest, len(content), zlib.compress(content, 6)],
    )
    return digest


def get_blob(db: sqlite_utils.Database, digest: str) -> bytes | None:
    row = db.execute("SELECT encoding, content FROM blobs WHERE hash = ?", [digest]).fetchone()
    if row is None:
        return None
    return zlib.decompress(row[1]) if row[0] == "zlib" else row[1]


def start_run(db: sqlite_utils.Database, sources: Iterable[str], now: str) -> int:
    # A run still marked running belongs to a process that died: say so instead of lying.
    db.execute(
        "UPDATE runs SET outcome = 'interrupted', finished_at = COALESCE(finished_at, ?) "
        "WHERE outcome = 'running'",
        [now],
    )
    return _insert(db, "runs", {
        "started_at": now, "sources": ",".join(sources), "pid": os.getpid(),
        "outcome": "running", "pages": 0, "new": 0, "edited": 0, "unchanged": 0, "failed": 0,
    })


def finish_run(db: sqlite_utils.Database, run_id: int, now: str, outcome: str,
               counts: dict[str, int], error: str | None = None) -> None:
    _update(db, "runs", run_id, {"finished_at": now, "outcome": outcome, "error": error, **counts})


def insert_capture(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return _insert(db, "captures", row)


def link_capture(db: sqlite_utils.Database, capture_id: int, document_id: int,
                 version_id: int | None) -> None:
    _update(db, "captures", capture_id, {"document_id": document_id, "version_id": version_id})


def find_document(db: sqlite_utils.Database, key: str, urls: Iterable[str]) -> dict | None:
    """Find a document by its identity key, else by any URL it was ever seen at."""
    row = next(db.query("SELECT * FROM documents WHERE key = ?", [key]), None)
    if row is not None:
        return row
    for url in urls:
        if not url:
            continue
        hit = next(db.query(
            "SELECT d.* FROM documents d JOIN document_urls u ON u.document_id = d.id "
            "WHERE u.url = ? ORDER BY d.id LIMIT 1",
            [url],
        ), None)
        if hit is not None:
            return hit
    return None


def create_document(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return _insert(db, "documents", row)


def touch_document(db: sqlite_utils.Database, document_id: int, fields: dict[str, Any]) -> None:
    _update(db, "documents", document_id, fields)


def remember_urls(db: sqlite_utils.Database, document_id: int, urls: Iterable[str], now: str) -> None:
    for url in {u for u in urls if u}:
        db.execute(
            "INSERT INTO document_urls (document_id, url, first_seen, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (document_id, url) DO UPDATE SET last_seen = excluded.last_seen",
            [document_id, url, now, now],
        )


def latest_version(db: sqlite_utils.Database, document_id: int) -> dict | None:
    rows = db.query("SELECT * FROM versions WHERE document_id = ? ORDER BY seq DESC LIMIT 1", [document_id])
    return next(rows, None)


def insert_version(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    seq = db.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE document_id = ?", [row["document_id"]]
    ).fetchone()[0]
    return _insert(db, "versions", {**row, "seq": seq})


def insert_change(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return _insert(db, "changes", row)


CHANGE_COLUMNS = (
    "c.id, c.kind, c.detected_at, c.document_id, c.from_version_id, c.to_version_id, "
    "c.changed_fields, c.summary, c.diff, c.field_diffs, c.run_id, d.source, d.url, v.title"
)


def _change_rows(db: sqlite_utils.Database, where: str, params: list) -> list[dict]:
    rows = list(db.query(
        f"SELECT {CHANGE_COLUMNS} FROM changes c JOIN documents d ON d.id = c.document_id "
        f"JOIN versions v ON v.id = c.to_version_id {where}",
        params,
    ))
    for row in rows:
        row["changed_fields"] = json.loads(row["changed_fields"] or "[]")
        row["field_diffs"] = json.loads(row["field_diffs"] or "{}")
    return rows


def recent_changes(db: sqlite_utils.Database, *, limit: int = 20, kinds: Iterable[str] = (),
                   source: str | None = None) -> list[dict]:
    clauses, params = [], []
    kinds = list(kinds)
    if kinds:
        clauses.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if source:
        clauses.append("d.source = ?")
        params.append(source)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return _change_rows(db, f"{where} ORDER BY c.id DESC LIMIT ?", [*params, limit])


def get_change(db: sqlite_utils.Database, change_id: int) -> dict | None:
    rows = _change_rows(db, "WHERE c.id = ?", [change_id])
    return rows[0] if rows else None


def get_version(db: sqlite_utils.Database, version_id: int) -> dict | None:
    return next(db.query("SELECT * FROM versions WHERE id = ?", [version_id]), None)


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: db[t].count for t in ("documents", "versions", "changes", "captures", "runs")}
