"""The runs table beyond a pass's start and end (archive.py): its counts from a helper process, and
the last runs for `remarkwatch status`."""
from __future__ import annotations

import sqlite_utils

BUCKETS = ("new", "edited", "unchanged", "failed")


def add_page(db: sqlite_utils.Database, run_id: int, bucket: str) -> None:
    """One more page in the run's counts, in the caller's transaction (the capture's own)."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown run count {bucket!r}; one of {', '.join(BUCKETS)}")
    db.execute(f"UPDATE runs SET pages = COALESCE(pages, 0) + 1, {bucket} = "
               f"COALESCE({bucket}, 0) + 1 WHERE id = ?", [run_id])


def recent(db: sqlite_utils.Database, limit: int = 10) -> list[dict]:
    return list(db.query("SELECT id, started_at, finished_at, sources, outcome, pages, new, edited, unchanged, "
                         "failed FROM runs ORDER BY id DESC LIMIT ?", [limit]))
