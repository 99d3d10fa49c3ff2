"""The archive writer of a large pass, in a process of its own.

A pass's writes happen one document per transaction, in the order the captures arrive, on one
writer. In the crawling process that writer is a thread, and it shares the interpreter lock with
the reactor: its SQL gives the lock up and waits to get it back at every statement, so on a busy
crawl each capture took ~2.8 ms of wall time for ~1 ms of work and the writer set the pace
(bench/throughput_bench.py; a crawl with writes skipped ran in 5.6 s instead of 9.5). Once a pass
uses helper processes (monitor.pool), its captures are written by this one instead: one process,
so still one writer and the arrival order, on its own connection to the same file. When it is the
only helper, it also judges and prepares each page before writing it.

The jobs are pure data (the capture, the source's recording rules, the run id and the time) and
the answer is the change kind, or the database error that makes the pass fail. New versions are
indexed for search a batch at a time (storage.archive.defer_search_index), and the rest when the
pass has written a source's last capture (`flush`).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from remarkwatch.crawler.items import NOT_MODIFIED, SAME_BYTES, Capture
from remarkwatch.record.ingest import RemovalPolicy, ingest
from remarkwatch.core.recheck import Recheck, parse_time
from remarkwatch.storage import archive
from remarkwatch.storage import schedule as schedule_store

COUNT_KEYS = ("pages", "new", "edited", "unchanged", "failed")
# Which runs-table count each ingest result adds to; the kinds are also counted on their own.
BUCKETS = {"new": "new", "unchanged": "unchanged", "failed": "failed", "removed": "failed",
           NOT_MODIFIED: "unchanged", SAME_BYTES: "unchanged", "blocked": "failed"}


def bucket(kind: str) -> str:
    return BUCKETS.get(kind, "edited")


@dataclass(frozen=True)
class Rules:
    """What recording a capture of one source needs besides the capture."""
    site: str
    recheck: Recheck
    policy: RemovalPolicy
    channels: tuple


def next_check_for(recheck: Recheck, now: str):
    def next_check(first_seen: str) -> str:
        return recheck.next_check(parse_time(first_seen), parse_time(now)).isoformat(timespec="seconds")
    return next_check


def record(db, capture: Capture, rules: Rules, run_id: int, now: str) -> str:
    """Record one capture in its own transaction; return its kind. Shared by both writers."""
    next_check = next_check_for(rules.recheck, now)
    if capture.outcome in (NOT_MODIFIED, SAME_BYTES):
        # A 304, or the very bytes of the last good page: only the check time is written.
        schedule_store.mark_checked_url(db, capture.final_url, now, next_check)
        return capture.outcome
    return ingest(db, capture, site=rules.site, run_id=run_id, now=now, policy=rules.policy,
                  channels=rules.channels, next_check=next_check)


# --- the writer process ---------------------------------------------------------------------------

_db = None


def init_process(db_path: str) -> None:
    from remarkwatch.storage.db import open_db

    global _db
    _db = open_db(db_path, migrate=False)
    archive.defer_search_index(_db)     # new versions are indexed for search a batch at a time
    # A document's transaction nests savepoints (ingest's atomic() inside the writer's), and each
    # wrote every page it changed to a temporary file it then deleted: 28 of a page's 92 writes.
    # This connection only writes documents, so its temporary store is small and kept in memory
    # (0.15 ms a page). Other connections keep SQLite's default: their big sorts may spill to disk.
    _db.execute("PRAGMA temp_store=MEMORY")


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
            _db.execute(f"UPDATE runs SET pages = COALESCE(pages, 0) + 1, {bucket(kind)} = "
                        f"COALESCE({bucket(kind)}, 0) + 1 WHERE id = ?", [run_id])
        archive.index_due(_db)
        return kind, None, judged
    except sqlite3.Error as exc:
        return None, str(exc), judged


def flush() -> str | None:
    """The job that ends a source: the versions written since the last batch are indexed for
    search. None, or the database error."""
    try:
        with _db.atomic():
            archive.index_versions(_db)
        return None
    except sqlite3.Error as exc:
        return str(exc)
