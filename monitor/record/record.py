"""Record one judged capture: the single entry of every route into the archive (the pass's writer
thread, the writer helper, the cluster's stream writer, backfill and reprocess). A 304 or the same
bytes again only moves the check time; a live capture goes through `ingest`, a web archive's
through `history` at the place backfill gives, a stored capture extracted again through
`ingest.reextract`; all three write their rows with `rows` and decide kinds with `core.decide`."""
from __future__ import annotations

from dataclasses import dataclass

from remarkwatch.crawler.items import NOT_MODIFIED, SAME_BYTES, Capture
from remarkwatch.record import ingest as live
from remarkwatch.record.history import Place, record_history
from remarkwatch.record.ingest import RemovalPolicy
from remarkwatch.core.recheck import Recheck, parse_time
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
    recheck: Recheck | None = None      # when a live capture's document is checked next (None: not set)
    policy: RemovalPolicy = RemovalPolicy()
    channels: tuple = ()


def next_check_for(recheck: Recheck, now: str):
    def next_check(first_seen: str) -> str:
        return recheck.next_check(parse_time(first_seen), parse_time(now)).isoformat(timespec="seconds")
    return next_check


def record(db, capture: Capture, rules: Rules, run_id: int | None, now: str, *, place: Place | None = None,
           reextract: bool = False) -> str:
    """Record one capture in its own transaction (a savepoint inside the caller's); return its kind.

    `place`: a web archive's capture, already stored, filed at that place of its document's history.
    `reextract`: a stored capture (`capture.capture_id`) extracted again by reprocess."""
    if place is not None:
        with db.atomic():
            return record_history(db, capture, place, site=rules.site, now=now, channels=rules.channels)
    if reextract:
        return live.reextract(db, capture, site=rules.site, now=now)
    next_check = next_check_for(rules.recheck, now) if rules.recheck is not None else None
    if capture.outcome in (NOT_MODIFIED, SAME_BYTES):
        # A 304, or the very bytes of the last good page: only the check time is written.
        schedule_store.mark_checked_url(db, capture.final_url, now, next_check)
        return capture.outcome
    return live.ingest(db, capture, site=rules.site, run_id=run_id, now=now, policy=rules.policy,
                       channels=rules.channels, next_check=next_check)
