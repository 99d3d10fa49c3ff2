"""Deliver the outbox: oldest first per channel, every attempt recorded, failures retried later.

A failed delivery is retried with exponential backoff and jitter, up to the channel's
`max_attempts`, then parked as dead (`remarkwatch alerts retry` re-queues it). Within a channel
a failure stops the round, so alerts arrive in order. A delivery is recorded only after the
channel accepted it, so a crash in between can resend (with the same idempotency key), never lose.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from remarkwatch.alerts import message as messages
from remarkwatch.alerts.channels.base import Channel, missing_secrets
from remarkwatch.alerts.result import Result
from remarkwatch.storage import changes, outbox
from remarkwatch.storage import schedule as schedule_store

logger = logging.getLogger(__name__)
MAX_BACKOFF_S = 6 * 3600
DIGEST_MAX_ITEMS = 200
DELIVERY_LOCK = "alerts"


@dataclass
class SendReport:
    counts: Counter = field(default_factory=Counter)    # delivered, failed, dead (alerts)
    errors: list[str] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)  # channel -> why its alerts were not sent
    busy: dict | None = None       # the live holder of the delivery lock, when another process sends

    def summary(self) -> str:
        c = self.counts
        text = f"alerts: {c['delivered']} delivered, {c['failed']} failed (will retry), {c['dead']} dead"
        return text + (f", {len(self.held)} channel(s) held back" if self.held else "")


def backoff_s(channel: Channel, attempts: int, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` failures: base * 2^(n-1), ±20 %, capped."""
    return min(channel.retry_base_s * 2 ** (attempts - 1), MAX_BACKOFF_S) * rng.uniform(0.8, 1.2)


def deliver(db, channels: Iterable[Channel], clock: Callable[[], str], env=None,
            rng: random.Random | None = None, public_url: str | None = None) -> SendReport:
    """Deliver every channel's due alerts. Each channel goes on its own: one whose secrets are
    missing is held back (its alerts stay pending, the reason reported) and the others are sent.
    One delivering process at a time per archive (a lock row), so a manual `alerts send` during
    a pass never sends an alert twice."""
    report = SendReport()
    rng = rng or random.Random()
    report.busy = schedule_store.acquire_lock(db, DELIVERY_LOCK, clock())
    if report.busy is not None:
        return report
    try:
        for channel in channels:
            missing = missing_secrets(channel, env)
            if missing:
                report.held[channel.name] = "not set in the environment: " + ", ".join(f"${m}" for m in missing)
                report.errors.append(f"{channel.name}: held back, {report.held[channel.name]}")
                continue
            _deliver_channel(db, channel, clock, env, channel.spec.send, rng, report, public_url)
    finally:
        schedule_store.release_lock(db, DELIVERY_LOCK)
    return report


def _deliver_channel(db, channel: Channel, clock, env, send, rng, report: SendReport, public_url=None) -> None:
    """Send the channel's due rows, oldest first, page by page, until none is due or one fails."""
    size = DIGEST_MAX_ITEMS if channel.mode == "digest" else 1
    first = True
    while True:
        rows = outbox.due(db, channel.name, clock())
        if not rows or (first and not _digest_due(db, channel, rows, clock())):
            return
        first = False
        for start in range(0, len(rows), size):
            if not _send_batch(db, channel, rows[start:start + size], clock, env, send, rng, report, public_url):
                return   # keep the channel's order: the rest waits for this one


def _digest_due(db, channel: Channel, rows: list[dict], now: str) -> bool:
    if channel.mode != "digest" or not channel.digest_minutes:
        return True
    last = outbox.last_delivered_at(db, channel.name)
    if last is None:
        return True
    return datetime.fromisoformat(now) >= datetime.fromisoformat(last) + timedelta(minutes=channel.digest_minutes)


def _send_batch(db, channel: Channel, batch: list[dict], clock, env, send, rng, report: SendReport,
                public_url=None) -> bool:
    try:
        message = messages.build([_item(db, row, public_url) for row in batch], [r["idempotency_key"] for r in batch],
                                 channel.spec.size_limit(channel))
    except LookupError as exc:
        result, message = Result(False, error=str(exc)), None
    if message is not None and len(batch) == 1 and batch[0].get("change_id") and channel.spec.wants_card(channel):
        message.card = _card(db, batch[0]["change_id"], public_url)
    started = time.monotonic()
    if message is not None:
        result = send_within(send, channel, message, env)
    duration_ms = int((time.monotonic() - started) * 1000)
    now = clock()
    with db.atomic():
        for row in batch:
            attempts = row["attempts"] + 1
            dead = not result.ok and attempts >= channel.max_attempts
            retry_at = None
            if not result.ok and not dead:
                retry_at = (datetime.fromisoformat(now) + timedelta(seconds=backoff_s(channel, attempts, rng))
                            ).isoformat(timespec="seconds")
            outbox.record_attempt(db, row, now=now, ok=result.ok, status=result.status, error=result.error,
                                  duration_ms=duration_ms, batch_key=message.idempotency_key if message else None,
                                  next_attempt_at=retry_at, dead=dead)
            report.counts["delivered" if result.ok else "dead" if dead else "failed"] += 1
    if not result.ok:
        report.errors.append(f"{channel.name}: {result.error}")
    return result.ok


def _card(db, change_id: int, public_url: str | None):
    """The change's share card; a card that cannot be drawn costs the picture, never the alert."""
    from remarkwatch.publish.card import share_card

    try:
        return share_card(db, change_id, public_url)
    except Exception:     # noqa: BLE001 - an alert without its picture beats no alert
        logger.exception("could not draw the card of change #%s; sending without it", change_id)
        return None


def send_within(send, channel: Channel, message, env=None) -> Result:
    """Run one delivery with a total deadline (`channel.deadline_s`). A per-read timeout does not
    bound an endpoint that answers a byte at a time, so the send runs on a daemon thread and is
    abandoned, as a failure to retry later, when the deadline passes; the thread ends by itself
    at its next read timeout or with the process."""
    outcome: list[Result] = []

    def attempt():
        try:
            outcome.append(send(channel, message, env))
        except Exception as exc:  # a channel bug must not stop the other channels or lose the alert
            logger.exception("channel %s failed unexpectedly", channel.name)
            outcome.append(Result(False, error=f"{type(exc).__name__}: {exc}"[:300]))

    worker = threading.Thread(target=attempt, name=f"remarkwatch-send-{channel.name}", daemon=True)
    worker.start()
    worker.join(channel.deadline_s)
    if not outcome:
        return Result(False, error=f"no answer within the delivery deadline ({channel.deadline_s:g} s, deadline_s)")
    return outcome[0]


def _item(db, row: dict, public_url: str | None = None) -> dict:
    if row["change_id"] is not None:
        change = changes.get_change(db, row["change_id"])
        if change is None:
            raise LookupError(f"outbox row {row['id']}: change {row['change_id']} is missing")
        change["sides"] = changes.change_sides(db, row["change_id"])     # for the edit in its sentence
        return messages.change_item(change, public_url)
    event = outbox.get_event(db, row["event_id"])
    if event is None:
        raise LookupError(f"outbox row {row['id']}: event {row['event_id']} is missing")
    return messages.event_item(event)
