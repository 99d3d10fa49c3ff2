"""Record one judged capture: the single entry every writer calls (the pass's writer thread, the
writer helper, the cluster's stream writer). A 304 or the same bytes again only moves the check
time; anything else goes through `ingest`, one document per transaction."""
from __future__ import annotations

from dataclasses import dataclass

from remarkwatch.crawler.items import NOT_MODIFIED, SAME_BYTES, Capture
from remarkwatch.record.ingest import RemovalPolicy, ingest
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
