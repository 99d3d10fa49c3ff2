"""Reads and writes for scheduling: due documents and their validators, check times, source
state, the pass lock and the daemon heartbeat."""
from __future__ import annotations

import os
import socket

import sqlite_utils

from remarkwatch.storage.db import immediate
from remarkwatch.storage.rows import first_row, update_row

VALIDATORS = """(SELECT c.{column} FROM captures c WHERE c.document_id = d.id AND c.outcome = 'ok'
                 AND c.final_url = d.url AND c.origin IS NOT 'wayback' ORDER BY c.id DESC LIMIT 1)"""


def due_documents(db: sqlite_utils.Database, source: str, now: str, everything: bool = False,
                  sweep: tuple[tuple[float, float], ...] = (), spread: float = 0.0) -> list[dict]:
    """Documents of `source` whose re-check is due (or that are missing or blocked), each with the
    ETag and Last-Modified of its last good fetch at its current URL, for a conditional request.

    `everything` (--full) returns every document without validators, and so do the documents
    whose sweep phase (the fraction of id * `spread`, as core/recheck.sweep_phase) falls in one
    of the `sweep` ranges [low, high): a sweep exists to catch the edits that a site's validators
    do not admit (a CDN serving a stale ETag). Each carries the hash of its last good page's raw
    bytes: the same bytes again need no extraction.
    """
    if everything:
        return list(db.query(f"SELECT d.id, d.url, d.state, NULL AS etag, NULL AS last_modified, "
                             f"{VALIDATORS.format(column='blob_hash')} AS blob_hash FROM documents d "
                             f"WHERE d.source = ? ORDER BY d.id", [source]))
    params: dict = {"source": source, "now": now, "spread": spread}
    phase = "(d.id * :spread - CAST(d.id * :spread AS INTEGER))"
    ranges = []
    for i, (low, high) in enumerate(sweep):
        ranges.append(f"({phase} >= :low{i} AND {phase} < :high{i})")
        params.update({f"low{i}": low, f"high{i}": high})
    swept = " OR ".join(ranges) or "0"
    # A missing or blocked document is followed every pass, whatever its age: a removal is
    # declared after a few passes, not a few weeks.
    clause = f"AND (d.next_check_at IS NULL OR d.next_check_at <= :now OR d.state IN ('missing', 'blocked') OR {swept})"
    return list(db.query(
        f"SELECT d.id, d.url, d.state, CASE WHEN {swept} THEN NULL ELSE {VALIDATORS.format(column='etag')} END AS etag, "
        f"CASE WHEN {swept} THEN NULL ELSE {VALIDATORS.format(column='last_modified')} END AS last_modified, "
        f"{VALIDATORS.format(column='blob_hash')} AS blob_hash "
        f"FROM documents d WHERE d.source = :source {clause} ORDER BY d.next_check_at, d.id",
        params,
    ))


def last_checks(db: sqlite_utils.Database, source: str) -> dict[str, str | None]:
    """Every current URL of `source`'s documents, with when it was last checked."""
    return dict(db.execute("SELECT url, last_checked_at FROM documents WHERE source = ?", [source]).fetchall())


def mark_checked_url(db: sqlite_utils.Database, url: str, now: str, next_check) -> bool:
    """A 304 for `url`: the document was checked and is unchanged. Only check times are written."""
    row = first_row(db, "SELECT id, first_seen FROM documents WHERE url = ? ORDER BY id LIMIT 1", [url])
    if row is None:
        return False
    update_row(db, "documents", row["id"], {"last_checked_at": now, "last_seen": now,
                                            "next_check_at": next_check(row["first_seen"])})
    return True


def source_state(db: sqlite_utils.Database, source: str) -> dict:
    return next(db.query("SELECT * FROM source_state WHERE source = ?", [source]), None) or {"source": source}


def save_source_state(db: sqlite_utils.Database, source: str, **fields) -> None:
    columns = ["source", *fields]
    db.execute(
        f"INSERT INTO source_state ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT (source) DO UPDATE SET " + ", ".join(f"{k} = excluded.{k}" for k in fields),
        [source, *fields.values()],
    )


def mark_baseline_done(db: sqlite_utils.Database, source: str, now: str, run_id: int | None = None) -> None:
    """The source's baseline pass (run `run_id`) completed: from now on its new releases are alerted."""
    db.execute("UPDATE source_state SET baseline_done_at = ?, baseline_run_id = ? "
               "WHERE source = ? AND baseline_done_at IS NULL", [now, run_id, source])


def reschedule(db: sqlite_utils.Database, source: str, next_check) -> int:
    """Recompute every document's next check time with `next_check(first_seen, last_checked_at)`."""
    rows = db.execute("SELECT id, first_seen, last_checked_at FROM documents WHERE source = ?", [source]).fetchall()
    db.conn.executemany("UPDATE documents SET next_check_at = ? WHERE id = ?",
                        [(next_check(first, last), doc_id) for doc_id, first, last in rows])
    return len(rows)


def process_alive(pid: int, host: str | None) -> bool:
    """Whether the process that wrote a lock or heartbeat row still exists (another host's: assumed)."""
    return _alive(pid, host)


def _alive(pid: int, host: str | None) -> bool:
    if host and host != socket.gethostname():
        return True   # another machine's process: cannot tell, assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lock(db: sqlite_utils.Database, name: str, now: str) -> dict | None:
    """Take the named lock; return the live holder instead when another process has it.

    A lock left by a process that no longer exists (killed, crashed) is taken over.
    """
    # BEGIN IMMEDIATE takes the write lock before reading, so two starts at the same moment wait
    # for each other (busy timeout) instead of both reading "free" and one failing on its write.
    with immediate(db):
        holder = next(db.query("SELECT * FROM locks WHERE name = ?", [name]), None)
        if holder and holder["pid"] != os.getpid() and _alive(holder["pid"], holder["host"]):
            return holder
        db.execute("INSERT OR REPLACE INTO locks (name, pid, host, acquired_at) VALUES (?, ?, ?, ?)",
                   [name, os.getpid(), socket.gethostname(), now])
    return None


def lock_holder(db: sqlite_utils.Database, name: str) -> dict | None:
    """The live holder of the named lock, if any (a dead holder's row does not count)."""
    holder = next(db.query("SELECT * FROM locks WHERE name = ?", [name]), None)
    return holder if holder and _alive(holder["pid"], holder["host"]) else None


def release_lock(db: sqlite_utils.Database, name: str) -> None:
    with db.atomic():
        db.execute("DELETE FROM locks WHERE name = ? AND pid = ?", [name, os.getpid()])


def heartbeat(db: sqlite_utils.Database, now: str, state: str, detail: str = "") -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO daemon (id, pid, host, started_at, heartbeat_at, state, detail) "
            "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, "
            "host = excluded.host, heartbeat_at = excluded.heartbeat_at, state = excluded.state, "
            "detail = excluded.detail, started_at = CASE WHEN daemon.pid = excluded.pid "
            "THEN daemon.started_at ELSE excluded.started_at END",
            [os.getpid(), socket.gethostname(), now, now, state, detail],
        )


def daemon_row(db: sqlite_utils.Database) -> dict | None:
    return next(db.query("SELECT * FROM daemon WHERE id = 1"), None)
