"""The `runs` table: one row per pass, its start, end and counts (also from a helper process), and
the last runs for `remarkwatch status`."""
from __future__ import annotations

import os
from typing import Iterable

import sqlite_utils

from remarkwatch.storage.rows import insert_row, update_row
from remarkwatch.storage.versions import index_versions


BUCKETS = ("new", "edited", "unchanged", "failed")


def add_page(db: sqlite_utils.Database, run_id: int, bucket: str) -> None:
    """One more page in the run's counts, in the caller's transaction (the capture's own)."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown run count {bucket!r}; one of {', '.join(BUCKETS)}")
    db.execute(f"UPDATE runs SET pages = COALESCE(pages, 0) + 1, {bucket} = "
               f"COALESCE({bucket}, 0) + 1 WHERE id = ?", [run_id])


def recent(db: sqlite_utils.Database, limit: int = 10) -> list[dict]:
    return list(db.query("SELECT id, started_at, finished_at, sources, outcome, pages, new, edited, unchanged, "
                         "failed, outside_listings FROM runs ORDER BY id DESC LIMIT ?", [limit]))


def start_run(db: sqlite_utils.Database, sources: Iterable[str], now: str) -> int:
    # Versions a killed pass wrote but had not indexed for search yet (m012).
    with db.atomic():
        index_versions(db)
    # A run still marked running belongs to a process that died: say so instead of lying.
    db.execute(
        "UPDATE runs SET outcome = 'interrupted', finished_at = COALESCE(finished_at, ?) "
        "WHERE outcome = 'running'",
        [now],
    )
    return insert_row(db, "runs", {
        "started_at": now, "sources": ",".join(sources), "pid": os.getpid(),
        "outcome": "running", "pages": 0, "new": 0, "edited": 0, "unchanged": 0, "failed": 0,
    })


def finish_run(db: sqlite_utils.Database, run_id: int, now: str, outcome: str,
               counts: dict[str, int], error: str | None = None) -> None:
    update_row(db, "runs", run_id, {"finished_at": now, "outcome": outcome, "error": error, **counts})


def count_run(db: sqlite_utils.Database, run_id: int, counts: dict[str, int]) -> None:
    """The pass's counts so far, written with each capture, so a killed run still shows them."""
    update_row(db, "runs", run_id, counts)
