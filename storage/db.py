"""Open the archive database: WAL journal, foreign keys on, every pending migration applied."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from storage.migrations import migrations


class StorageError(Exception):
    """The archive database cannot be opened or is not a remarkwatch database."""


def open_db(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # One writer thread owns the connection during a pass; the caller keeps it that way.
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across process crashes in WAL mode; only a power loss can drop
        # the last commits, never corrupt the file.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path}: cannot open the database ({exc})") from exc
    return db


def integrity_check(db: sqlite_utils.Database) -> list[str]:
    """Return SQLite's integrity report: ["ok"] for a sound file."""
    return [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
