"""Open the archive database: WAL journal, foreign keys on, every pending migration applied."""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from remarkwatch.storage.migrations import migrations, step_names

logger = logging.getLogger(__name__)


class StorageError(Exception):
    """The archive database cannot be opened or is not a remarkwatch database."""


class MissingDatabase(StorageError):
    """A reading command was pointed at a database file that does not exist."""


class OldSchema(StorageError):
    """An archive made by an older version that cannot be upgraded where it lies (read-only)."""


def open_db(path: str | Path, *, migrate: bool = True, readonly: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    `readonly` is for commands that only read: the file must exist (it is never created), and
    it is opened read-only, so an archive on read-only storage or owned by another user can be
    read; a writable one with pending migrations is upgraded first.
    """
    path = Path(path)
    if readonly:
        return _open_readonly(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # One writer thread owns the connection during a pass; the caller keeps it that way.
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        db = sqlite_utils.Database(conn)
        _wal(db)
        # NORMAL is durable across process crashes in WAL mode; only a power loss can drop
        # the last commits, never corrupt the file.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        if migrate and migrations.pending(db):
            # Under the write lock: two first runs on a fresh file would otherwise both apply
            # the same step ("duplicate column name"). The second waits, then finds none pending.
            with immediate(db):
                migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path}: cannot open the database ({exc})") from exc
    return db


def _wal(db: sqlite_utils.Database, seconds: float = 30) -> None:
    """Switch a database to WAL. Switching needs an exclusive lock, and SQLite does not wait for it
    through the busy timeout: when several processes open a fresh file at once, retry."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def immediate(db: sqlite_utils.Database):
    """A transaction that takes SQLite's write lock at once (BEGIN IMMEDIATE), waiting for it
    within the busy timeout; nested sqlite-utils `atomic()` blocks inside become savepoints."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def integrity_check(db: sqlite_utils.Database) -> list[str]:
    """Return SQLite's integrity report: ["ok"] for a sound file."""
    return [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]


def writable(path: Path) -> bool:
    """Whether this process may write the archive file and its folder (its WAL and -shm go there)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _open_readonly(path: Path) -> sqlite_utils.Database:
    if not path.is_file():
        raise MissingDatabase(f"{path}: no archive there")
    if writable(path):
        db = open_db(path, migrate=False)
        behind = _behind(db, path)
        if behind:
            with immediate(db):
                migrations.apply(db)
            # Said once: the file a reading command was pointed at has changed under it.
            logger.warning("%s: this archive was upgraded to this version's schema (%s)", path, ", ".join(behind))
        db.execute("PRAGMA query_only=ON")
        return db
    # mode=ro reads a WAL archive when its -shm can be used; immutable=1 when even that is not
    # possible (read-only storage): nothing is written or locked, so it reads a snapshot.
    last = None
    for query in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(f"file:{quote(str(path))}?{query}", uri=True, timeout=30,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            db = sqlite_utils.Database(conn)
        except sqlite3.DatabaseError as exc:
            last = exc
            continue
        behind = _behind(db, path)
        if behind:
            steps = len(step_names())
            raise OldSchema(f"{path}: this archive has schema {steps - len(behind)}, this version of remarkwatch needs "
                            f"{steps}, and it cannot be upgraded here (read-only): run any "
                            f"command once with write access to it, or read a writable copy")
        return db
    raise StorageError(f"{path}: cannot open the database read-only ({last})")


def _behind(db: sqlite_utils.Database, path: Path) -> list[str]:
    """The migrations this archive still lacks (its schema is older than this version's)."""
    try:
        return [m.name for m in migrations.pending(db)]
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path}: cannot read the archive's schema ({exc})") from exc
