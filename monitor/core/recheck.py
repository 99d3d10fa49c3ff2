"""Pure: when a source is due for a pass, and when each document is due for a re-check.

Documents are re-checked on a schedule that decays with their age, because edits come early
(median about 2 hours after publication) but also late: by default every 15 minutes for the
first 48 hours, hourly to day 7, daily to day 30, weekly after. Each next check is jittered
by ±10 % so checks spread out. A slow sweep re-fetches every document every `sweep_days`, a few
each pass.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
FOREVER = "*"
DEFAULT_RECHECK = (("48h", "15m"), ("7d", "1h"), ("30d", "1d"), (FOREVER, "7d"))
# A source's passes: every 5 minutes, so an edit to a young release waits minutes (docs/latency.md).
DEFAULT_SCHEDULE = "5m"
JITTER = 0.1


def duration_s(text: str) -> float:
    """Seconds in "90s", "15m", "2h", "7d" or "1w"; ValueError otherwise."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 30s, 15m, 2h, 7d or 1w")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class Recheck:
    """Age tiers: (documents younger than this many seconds, are re-checked this often)."""
    tiers: tuple[tuple[float, float], ...]

    @classmethod
    def parse(cls, pairs) -> "Recheck":
        tiers = []
        for age, every in pairs:
            tiers.append((float("inf") if age == FOREVER else duration_s(age), duration_s(every)))
        if not tiers or tiers[-1][0] != float("inf"):
            raise ValueError(f'the last tier must be ["{FOREVER}", INTERVAL] (documents of any age)')
        if [a for a, _ in tiers] != sorted(a for a, _ in tiers):
            raise ValueError("tiers must be in order of age")
        return cls(tuple(tiers))

    def spec(self) -> str:
        """A stable text of the tiers, stored to notice when the configured rule changes."""
        return ";".join(f"{'*' if age == float('inf') else f'{age:g}'}:{every:g}" for age, every in self.tiers)

    def interval_s(self, age_s: float) -> float:
        return next(every for limit, every in self.tiers if age_s < limit)

    def next_check(self, first_seen: datetime, now: datetime, rng: random.Random | None = None) -> datetime:
        every = self.interval_s((now - first_seen).total_seconds())
        spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
        return now + timedelta(seconds=every * spread)


DEFAULT = Recheck.parse(DEFAULT_RECHECK)


@dataclass(frozen=True)
class SourceSchedule:
    """A source's pass schedule: an interval ("15m") or a five-field cron expression."""
    spec: str

    def __post_init__(self):
        if self.is_cron:
            self.trigger()               # raises ValueError for a bad cron line
        elif duration_s(self.spec) <= 0:
            raise ValueError(f"{self.spec!r}: a pass interval must be above 0")

    @property
    def is_cron(self) -> bool:
        return len(self.spec.split()) == 5

    def trigger(self) -> CronTrigger | None:
        return CronTrigger.from_crontab(self.spec, timezone="UTC") if self.is_cron else None

    def next_due(self, last_started: datetime | None, now: datetime) -> datetime:
        """When the next pass is due: `now` for a source never crawled."""
        if last_started is None:
            return now
        if self.is_cron:
            return self.trigger().get_next_fire_time(None, last_started + timedelta(seconds=1))
        return last_started + timedelta(seconds=duration_s(self.spec))

    def is_due(self, last_started: datetime | None, now: datetime, slack_s: float = 30) -> bool:
        """Due, allowing `slack_s` early: a cron line every 15 minutes must not miss by a second."""
        return self.next_due(last_started, now) <= now + timedelta(seconds=slack_s)


SPREAD = 0.6180339887498949     # the golden ratio's fraction: ids 1, 2, 3 ... land evenly over [0, 1)


def sweep_phase(document_id: int) -> float:
    """Where in the sweep's cycle a document is re-fetched (storage/schedule.py computes the same)."""
    return (document_id * SPREAD) % 1.0


def sweep_window(last_started: datetime | None, now: datetime, sweep_days: float) -> tuple[tuple[float, float], ...]:
    """The phases of the sweep's cycle this pass re-fetches unconditionally: those passed since the
    source's last pass, so the sweep goes on a few documents a pass instead of every document in
    one pass that holds the host for hours. A whole cycle since the last pass: all of them; a
    source's first pass: none (it fetches everything anyway)."""
    if last_started is None:
        return ()
    cycle = sweep_days * 86400
    if (now - last_started).total_seconds() >= cycle:
        return ((0.0, 1.0),)
    low, high = (last_started.timestamp() % cycle) / cycle, (now.timestamp() % cycle) / cycle
    return ((low, high),) if low <= high else ((low, 1.0), (0.0, high))


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
