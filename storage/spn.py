"""The Save Page Now queue: one request per change that asks for third-party proof, its job while
the Internet Archive captures the page, then its memento or why it failed for good; and the pause
a 429 asks for."""
from __future__ import annotations

from typing import Iterable

import sqlite_utils

from remarkwatch.storage.rows import first_row, update_row

PENDING, SUBMITTED, SAVED, FAILED = "pending", "submitted", "saved", "failed"
STATES = (PENDING, SUBMITTED, SAVED, FAILED)


def enqueue(db: sqlite_utils.Database, change_id: int, now: str) -> int | None:
    """A pending request for the change's page (the version it leads to), in the caller's
    transaction; None when the change has no page to capture or already has a request."""
    cursor = db.execute(
        "INSERT INTO spn_requests (change_id, url, state, attempts, created_at, next_attempt_at) "
        "SELECT c.id, COALESCE(v.url, d.url), ?, 0, ?, ? FROM changes c "
        "JOIN documents d ON d.id = c.document_id LEFT JOIN versions v ON v.id = c.to_version_id "
        "WHERE c.id = ? ON CONFLICT (change_id) DO NOTHING",
        [PENDING, now, now, change_id])
    return cursor.lastrowid if cursor.rowcount else None


def due(db: sqlite_utils.Database, now: str, limit: int) -> list[dict]:
    """Pending requests whose next attempt is due, oldest first."""
    return list(db.query("SELECT * FROM spn_requests WHERE state = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                         [PENDING, now, limit]))


def submitted(db: sqlite_utils.Database) -> list[dict]:
    """Requests whose capture job the archive is running, oldest first."""
    return list(db.query("SELECT * FROM spn_requests WHERE state = ? ORDER BY id", [SUBMITTED]))


def mark_submitted(db: sqlite_utils.Database, row: dict, job_id: str, now: str) -> None:
    update_row(db, "spn_requests", row["id"], {"state": SUBMITTED, "job_id": job_id, "submitted_at": now,
                                               "attempts": row["attempts"] + 1})


def mark_saved(db: sqlite_utils.Database, row: dict, memento_url: str, memento_at: str, now: str) -> None:
    update_row(db, "spn_requests", row["id"], {"state": SAVED, "memento_url": memento_url,
                                               "memento_at": memento_at, "finished_at": now, "last_error": None})


def mark_retry(db: sqlite_utils.Database, row: dict, error: str, next_attempt_at: str, *, counted: bool) -> None:
    """Back to pending for another try at `next_attempt_at`; `counted` when this try used an attempt
    that was not already counted at submission."""
    update_row(db, "spn_requests", row["id"], {"state": PENDING, "job_id": None, "last_error": error,
                                               "next_attempt_at": next_attempt_at,
                                               "attempts": row["attempts"] + int(counted)})


def mark_failed(db: sqlite_utils.Database, row: dict, error: str, now: str, *, counted: bool) -> None:
    """Failed for good: shown as such, never tried again unless re-queued."""
    update_row(db, "spn_requests", row["id"], {"state": FAILED, "job_id": None, "last_error": error,
                                               "finished_at": now, "attempts": row["attempts"] + int(counted)})


def for_change(db: sqlite_utils.Database, change_id: int) -> dict | None:
    return first_row(db, "SELECT * FROM spn_requests WHERE change_id = ?", [change_id])


def listing(db: sqlite_utils.Database, *, states: Iterable[str] = (), limit: int = 50) -> list[dict]:
    """Requests newest first, with their change's kind and title."""
    states = list(states)
    where = f"WHERE s.state IN ({', '.join('?' * len(states))})" if states else ""
    return list(db.query(
        "SELECT s.*, c.kind, COALESCE(v.title, d.title) AS title FROM spn_requests s "
        "JOIN changes c ON c.id = s.change_id JOIN documents d ON d.id = c.document_id "
        f"LEFT JOIN versions v ON v.id = c.to_version_id {where} ORDER BY s.id DESC LIMIT ?",
        [*states, limit]))


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT state, COUNT(*) FROM spn_requests GROUP BY state").fetchall())


def requeue_failed(db: sqlite_utils.Database, ids: Iterable[int], now: str) -> int:
    """Failed requests back to pending with a fresh attempt budget; all failed ones when `ids` is empty."""
    ids = list(ids)
    clause = f" AND id IN ({', '.join('?' * len(ids))})" if ids else ""
    return db.execute(f"UPDATE spn_requests SET state = ?, attempts = 0, next_attempt_at = ?, finished_at = NULL "
                      f"WHERE state = ?{clause}", [PENDING, now, FAILED, *ids]).rowcount


def paused_until(db: sqlite_utils.Database) -> str | None:
    """Until when the archive asked (429) not to be sent captures; None when it did not."""
    row = db.execute("SELECT until FROM spn_pause WHERE id = 1").fetchone()
    return row[0] if row else None


def pause(db: sqlite_utils.Database, until: str) -> None:
    db.execute("INSERT INTO spn_pause (id, until) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until",
               [until])
