"""Send the Save Page Now queue: poll the running capture jobs, submit the due requests, within a
time budget (a pass never waits on the archive longer than `budget_s`; what is left stays queued
for the next pass or the daemon's next round).

A failed try is retried with exponential backoff and jitter up to `max_attempts`, then shown as
failed for good; an error the archive calls final (an invalid URL, a blocked page) fails at once.
A 429 (or the archive's "limit of active sessions") pauses the whole queue for its Retry-After
and spends no attempt. At most `max_active` jobs run at once, submissions `min_interval_s` apart.
Every state is written as it happens, so a process killed at any point loses no request: a job
submitted but not yet recorded is submitted again (the archive keeps both captures).
"""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from remarkwatch.clock import utcnow
from remarkwatch.evidence.settings import SavePageNow
from remarkwatch.evidence.spn import BUSY, ERROR, JOB, PENDING, REFUSED, SAVED, Answer, Client
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage import spn as store

LOCK = "save_page_now"
MAX_BACKOFF_S = 6 * 3600


@dataclass
class QueueReport:
    counts: Counter = field(default_factory=Counter)   # submitted, saved, capturing, retrying, failed
    errors: list[str] = field(default_factory=list)
    held: str | None = None           # why nothing was sent (keys missing or refused)
    paused_until: str | None = None   # the archive asked (429) not to be sent anything before then
    busy: dict | None = None          # the live holder of the queue's lock, when another process sends

    def summary(self) -> str:
        """Only what happened: "save page now: 1 submitted, 1 saved", or "nothing sent"."""
        words = (("submitted", "submitted"), ("saved", "saved"), ("capturing", "still capturing"),
                 ("retrying", "to retry later"), ("failed", "failed for good"))
        done = ", ".join(f"{self.counts[key]} {word}" for key, word in words if self.counts[key])
        text = "save page now: " + (done or "nothing sent")
        if self.paused_until:
            text += f"; paused until {self.paused_until} (429)"
        return text + (f"; held back: {self.held}" if self.held else "")


def backoff_s(settings: SavePageNow, attempts: int, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` failures: base * 2^(n-1), ±20 %, capped."""
    return min(settings.retry_base_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S) * rng.uniform(0.8, 1.2)


def send_queue(db, settings: SavePageNow, *, user_agent: str, clock: Callable[[], str] = utcnow, env=None,
               session=None, sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
               budget_s: float | None = None) -> QueueReport:
    """One round of the queue, at most `budget_s` (default the table's) long. One sending process
    at a time per archive (a lock row); without the keys in the environment nothing is sent."""
    report = QueueReport()
    keys = settings.credentials(env)
    if keys is None:
        report.held = f"not set in the environment: ${settings.access_env}, ${settings.secret_env}"
        return report
    report.busy = schedule_store.acquire_lock(db, LOCK, clock())
    if report.busy is not None:
        return report
    try:
        client = Client(settings, keys, user_agent, session)
        _Round(db, settings, client, clock, sleep, rng or random.Random(), report,
               budget_s if budget_s is not None else settings.budget_s).run()
    finally:
        schedule_store.release_lock(db, LOCK)
    return report


class _Round:
    def __init__(self, db, settings: SavePageNow, client: Client, clock, sleep, rng, report: QueueReport,
                 budget_s: float):
        self.db, self.settings, self.client, self.clock, self.sleep = db, settings, client, clock, sleep
        self.rng, self.report = rng, report
        self.deadline = time.monotonic() + budget_s
        self.last_submit: float | None = None
        self.stopped = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self) -> None:
        while not self.stopped and not self._paused():
            self._poll()
            if not self.stopped:
                self._submit()
            if self.stopped or not store.submitted(self.db):
                break
            if self.remaining() < self.settings.poll_s:
                break
            self.sleep(self.settings.poll_s)
        self.report.counts["capturing"] += len(store.submitted(self.db))
        self.report.counts = +self.report.counts     # zero counts out: an idle round says nothing

    def _paused(self) -> bool:
        until = store.paused_until(self.db)
        if until and until > self.clock():
            self.report.paused_until = until
            return True
        return False

    def _timeout(self) -> float | None:
        left = self.remaining()
        return min(self.settings.timeout_s, left) if left > 0.05 else None

    def _poll(self) -> None:
        for row in store.submitted(self.db):
            timeout = self._timeout()
            if timeout is None:
                return
            answer = self.client.status(row["job_id"], timeout)
            if answer.outcome == SAVED:
                store.mark_saved(self.db, row, answer.memento_url, answer.memento_at, self.clock())
                self.report.counts["saved"] += 1
            elif answer.outcome == PENDING:
                if _age_s(row["submitted_at"], self.clock()) > self.settings.stale_after_s:
                    self._retry_or_fail(row, f"still capturing after {self.settings.stale_after_s:g} s", counted=False)
            elif answer.outcome == ERROR and answer.job_id is None:
                self.report.errors.append(f"change {row['change_id']}: status of job {row['job_id']}: {answer.error}")
            elif answer.outcome == BUSY:
                # The job ended on the archive's limits: the request waits for the pause, unfailed.
                store.mark_retry(self.db, row, answer.error or "busy", self.clock(), counted=False)
                self._stop_for(answer)
            elif not self._stop_for(answer):
                self._failed(row, answer, counted=False)
            if self.stopped:
                return

    def _submit(self) -> None:
        free = self.settings.max_active - len(store.submitted(self.db))
        for row in store.due(self.db, self.clock(), max(free, 0)):
            if self.last_submit is not None:
                wait = self.settings.min_interval_s - (time.monotonic() - self.last_submit)
                if wait > 0:
                    if wait >= self.remaining():
                        return
                    self.sleep(wait)
            timeout = self._timeout()
            if timeout is None:
                return
            self.last_submit = time.monotonic()
            answer = self.client.submit(row["url"], timeout)
            if answer.outcome == JOB:
                store.mark_submitted(self.db, row, answer.job_id, self.clock())
                self.report.counts["submitted"] += 1
            elif self._stop_for(answer):
                return
            else:
                self._failed(row, answer, counted=True)

    def _stop_for(self, answer: Answer) -> bool:
        """A 429 pauses the queue; refused keys hold it back. Neither spends an attempt."""
        if answer.outcome == BUSY:
            wait = answer.retry_after_s if answer.retry_after_s is not None else self.settings.rate_limit_backoff_s
            until = _plus(self.clock(), wait)
            store.pause(self.db, until)
            self.report.paused_until = until
            self.report.errors.append(f"paused until {until}: {answer.error}")
        elif answer.outcome == REFUSED:
            self.report.held = answer.error
            self.report.errors.append(answer.error or "refused")
        else:
            return False
        self.stopped = True
        return True

    def _failed(self, row: dict, answer: Answer, *, counted: bool) -> None:
        error = answer.error or "failed"
        self.report.errors.append(f"change {row['change_id']}: {error}")
        if answer.final:
            store.mark_failed(self.db, row, error, self.clock(), counted=counted)
            self.report.counts["failed"] += 1
        else:
            self._retry_or_fail(row, error, counted=counted)

    def _retry_or_fail(self, row: dict, error: str, *, counted: bool) -> None:
        attempts = row["attempts"] + int(counted)
        if attempts >= self.settings.max_attempts:
            store.mark_failed(self.db, row, f"{error} (after {attempts} attempts)", self.clock(), counted=counted)
            self.report.counts["failed"] += 1
            return
        retry_at = _plus(self.clock(), backoff_s(self.settings, attempts, self.rng))
        store.mark_retry(self.db, row, error, retry_at, counted=counted)
        self.report.counts["retrying"] += 1


def _plus(now: str, seconds: float) -> str:
    return (datetime.fromisoformat(now) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def _age_s(since: str | None, now: str) -> float:
    if not since:
        return 0.0
    return (datetime.fromisoformat(now) - datetime.fromisoformat(since)).total_seconds()
