"""Reads and writes of the alert outbox, its attempts, source events and source health."""
from __future__ import annotations

from typing import Any, Iterable

import sqlite_utils

from remarkwatch.storage.rows import insert_row, update_row

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


def enqueue(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Insert outbox rows (channel, change_id or event_id, idempotency_key, created_at)."""
    ids = []
    for row in rows:
        ids.append(insert_row(db, "outbox", {"state": PENDING, "attempts": 0,
                                          "next_attempt_at": row["created_at"], **row}))
    return ids


def due(db: sqlite_utils.Database, channel: str, now: str, limit: int = 500) -> list[dict]:
    """The channel's pending rows, oldest first, up to the first one that is not yet due.

    Stopping at a row that waits for its retry keeps a channel's alerts in order.
    """
    out = []
    for row in db.query("SELECT * FROM outbox WHERE channel = ? AND state = ? ORDER BY id LIMIT ?",
                        [channel, PENDING, limit]):
        if row["next_attempt_at"] > now:
            break
        out.append(row)
    return out


def record_attempt(db: sqlite_utils.Database, row: dict, *, now: str, ok: bool, status: int | None,
                   error: str | None, duration_ms: int, batch_key: str | None,
                   next_attempt_at: str | None, dead: bool) -> None:
    insert_row(db, "alert_attempts", {
        "outbox_id": row["id"], "attempted_at": now, "outcome": "delivered" if ok else "failed",
        "status": status, "error": error, "duration_ms": duration_ms, "batch_key": batch_key,
    })
    update: dict[str, Any] = {"attempts": row["attempts"] + 1, "last_error": None if ok else error}
    if ok:
        update.update(state=DELIVERED, delivered_at=now)
    elif dead:
        update.update(state=DEAD)
    else:
        update.update(next_attempt_at=next_attempt_at)
    update_row(db, "outbox", row["id"], update)


def last_delivered_at(db: sqlite_utils.Database, channel: str) -> str | None:
    """When the channel's latest delivered alert went out; None if none has (a digest's period)."""
    return db.execute("SELECT MAX(delivered_at) FROM outbox WHERE channel = ? AND state = ?",
                      [channel, DELIVERED]).fetchone()[0]


def listing(db: sqlite_utils.Database, *, states: Iterable[str] = (), limit: int = 50) -> list[dict]:
    states = list(states)
    where = f"WHERE o.state IN ({', '.join('?' * len(states))})" if states else ""
    return list(db.query(
        "SELECT o.*, COALESCE(c.kind, e.kind) AS kind, COALESCE(d.source, e.source) AS source, "
        "COALESCE(v.title, f.title, d.title, e.detail) AS title FROM outbox o "
        "LEFT JOIN changes c ON c.id = o.change_id LEFT JOIN documents d ON d.id = c.document_id "
        "LEFT JOIN versions v ON v.id = c.to_version_id LEFT JOIN versions f ON f.id = c.from_version_id "
        f"LEFT JOIN events e ON e.id = o.event_id {where} ORDER BY o.id DESC LIMIT ?",
        [*states, limit],
    ))


def requeue_dead(db: sqlite_utils.Database, ids: Iterable[int], now: str) -> int:
    """Dead rows back to pending with a fresh attempt budget; all dead rows when `ids` is empty."""
    ids = list(ids)
    clause = f" AND id IN ({', '.join('?' * len(ids))})" if ids else ""
    cursor = db.execute(
        f"UPDATE outbox SET state = ?, attempts = 0, next_attempt_at = ? WHERE state = ?{clause}",
        [PENDING, now, DEAD, *ids],
    )
    return cursor.rowcount


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())


def pending_by_channel(db: sqlite_utils.Database) -> dict[str, dict]:
    """Per channel: pending alerts, the oldest one's creation time, attempts and last error, and
    the earliest next attempt."""
    rows = db.query(
        "SELECT o.channel, COUNT(*) AS pending, MIN(o.next_attempt_at) AS next_attempt_at, "
        "(SELECT created_at FROM outbox x WHERE x.channel = o.channel AND x.state = 'pending' ORDER BY x.id LIMIT 1) AS oldest_at, "
        "(SELECT attempts FROM outbox x WHERE x.channel = o.channel AND x.state = 'pending' ORDER BY x.id LIMIT 1) AS oldest_attempts, "
        "(SELECT last_error FROM outbox x WHERE x.channel = o.channel AND x.state = 'pending' ORDER BY x.id LIMIT 1) AS last_error "
        "FROM outbox o WHERE o.state = 'pending' GROUP BY o.channel")
    return {row["channel"]: row for row in rows}


def insert_event(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return insert_row(db, "events", row)


def get_event(db: sqlite_utils.Database, event_id: int) -> dict | None:
    return next(db.query("SELECT * FROM events WHERE id = ?", [event_id]), None)


def source_health(db: sqlite_utils.Database, source: str) -> dict | None:
    return next(db.query("SELECT * FROM source_health WHERE source = ?", [source]), None)


def insert_extraction_health(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    insert_row(db, "extraction_health", row)


def recent_extraction_health(db: sqlite_utils.Database, source: str, passes: int) -> list[dict]:
    return list(db.query("SELECT * FROM extraction_health WHERE source = ? ORDER BY id DESC LIMIT ?",
                         [source, passes]))


def set_layout_state(db: sqlite_utils.Database, source: str, state: str, since: str) -> None:
    db.execute("UPDATE source_health SET layout_state = ?, layout_since = ? WHERE source = ?", [state, since, source])


def save_source_health(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    db.execute(
        f"INSERT INTO source_health ({columns}) VALUES ({', '.join('?' * len(row))}) "
        f"ON CONFLICT (source) DO UPDATE SET "
        + ", ".join(f"{k} = excluded.{k}" for k in row if k != "source"),
        list(row.values()),
    )
