"""The archive writer of a large pass, in a helper process of its own: the jobs it runs.

Once a pass uses helper processes (parallel/pool.py), its captures are written here instead of on
the crawling process's writer thread, still one writer in arrival order, through the same
record/record.py `record()`. When it is the only helper it also judges and prepares each page
first. Jobs are pure data (capture, recording rules, run id, time); the answer is the change kind
or the database error that fails the pass. New versions are indexed for search a batch at a time,
and the rest when a source's last capture is written (`flush`). Why a process and not a thread:
docs/performance.md."""

from __future__ import annotations

import sqlite3

from remarkwatch.crawler.items import Capture
from remarkwatch.record.record import Rules, bucket, record
from remarkwatch.storage import runs, versions
from remarkwatch.storage.connection import temp_store_in_memory

# --- the writer process ---------------------------------------------------------------------------

_db = None


def init_process(db_path: str) -> None:
    from remarkwatch.storage.db import open_db

    global _db
    _db = open_db(db_path, migrate=False)
    versions.defer_search_index(_db)     # new versions are indexed for search a batch at a time
    # A document's transaction nests savepoints (ingest's atomic() inside the writer's), and each
    # wrote every page it changed to a temporary file it then deleted: a good share of a page's
    # writes (docs/performance.md). This connection only writes documents, so its temporary store
    # is small and kept in memory. Other connections keep SQLite's default: their big sorts may
    # spill to disk.
    temp_store_in_memory(_db)


def warm() -> bool:
    """Run first in a new writer: what judging a page needs is imported before real work."""
    from remarkwatch.parallel import prepare
    return prepare.warm()


def write(capture: Capture, rules: Rules, run_id: int, now: str) -> tuple[str | None, str | None, tuple]:
    """The job: (kind, None, judged), or (None, the database error, judged). A capture whose
    judging was left to this process (`judge_later`, monitor.pool) is judged and prepared first;
    `judged` is (outcome, error, missed) for the crawling process's statistics. The run's counts
    are added to in the capture's own transaction, so a killed pass still shows what it wrote."""
    if capture.judge_later is not None:
        from remarkwatch.parallel.prepare import judge_and_prepare

        body = capture.body
        judge_and_prepare(capture, *capture.judge_later)
        capture.body, capture.judge_later = body, None
    judged = (capture.outcome, capture.error, capture.missed)
    try:
        with _db.atomic():
            kind = record(_db, capture, rules, run_id, now)
            runs.add_page(_db, run_id, bucket(kind))
        versions.index_due(_db)
        return kind, None, judged
    except sqlite3.Error as exc:
        return None, str(exc), judged


def flush() -> str | None:
    """The job that ends a source: the versions written since the last batch are indexed for
    search. None, or the database error."""
    try:
        with _db.atomic():
            versions.index_versions(_db)
        return None
    except sqlite3.Error as exc:
        return str(exc)
