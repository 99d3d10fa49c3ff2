"""monitor/core/recheck.py: durations, re-check tiers by age, and when a source's pass is due."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from remarkwatch.core import recheck
from remarkwatch.core.recheck import DEFAULT, Recheck, SourceSchedule

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), ("1w", 604800), (" 1.5h ", 5400), ("0s", 0),
])
def test_duration(text, seconds):
    assert recheck.duration_s(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "15 minutes", "-5m", "1y", None])
def test_not_a_duration(text):
    with pytest.raises(ValueError, match="is not a duration"):
        recheck.duration_s(text)


@pytest.mark.parametrize("age, every", [
    (timedelta(0), 900), (timedelta(hours=47), 900), (timedelta(hours=48), 3600), (timedelta(days=6), 3600),
    (timedelta(days=7), 86400), (timedelta(days=29), 86400), (timedelta(days=30), 604800),
    (timedelta(days=3000), 604800),
])
def test_default_tiers_decay_with_age(age, every):
    assert DEFAULT.interval_s(age.total_seconds()) == every


def test_next_check_is_jittered_by_ten_percent():
    rng = random.Random(7)
    waits = [(DEFAULT.next_check(T0, T0, rng) - T0).total_seconds() for _ in range(200)]
    assert all(900 * 0.9 <= w <= 900 * 1.1 for w in waits) and len(set(waits)) > 100


@pytest.mark.parametrize("pairs, message", [
    ([], "the last tier must be"),
    ([["48h", "15m"]], "the last tier must be"),
    ([["7d", "1h"], ["48h", "15m"], ["*", "7d"]], "in order of age"),
    ([["2 days", "15m"], ["*", "7d"]], "is not a duration"),
])
def test_bad_tiers(pairs, message):
    with pytest.raises(ValueError, match=message):
        Recheck.parse(pairs)


def test_spec_is_stable_text_of_the_tiers():
    assert DEFAULT.spec() == "172800:900;604800:3600;2.592e+06:86400;*:604800"
    assert Recheck.parse([["*", "0s"]]).spec() == "*:0"


@pytest.mark.parametrize("spec, last, now, due", [
    ("15m", None, T0, True),                                                  # never crawled
    ("15m", T0, T0 + timedelta(minutes=10), False),
    ("15m", T0, T0 + timedelta(minutes=14, seconds=40), True),                # within the 30 s slack
    ("15m", T0, T0 + timedelta(minutes=15), True),
    ("*/15 * * * *", T0, T0 + timedelta(minutes=10), False),
    ("*/15 * * * *", T0 + timedelta(minutes=1), T0 + timedelta(minutes=15), True),
    ("0 6 * * *", T0 + timedelta(hours=7), T0 + timedelta(hours=20), False),
    ("0 6 * * *", T0 + timedelta(hours=7), T0 + timedelta(days=1, hours=6), True),
])
def test_source_schedule_is_due(spec, last, now, due):
    assert SourceSchedule(spec).is_due(last, now) is due


def test_next_due_of_interval_and_cron():
    assert SourceSchedule("2h").next_due(T0, T0) == T0 + timedelta(hours=2)
    assert SourceSchedule("0 6 * * *").next_due(T0, T0) == T0 + timedelta(hours=6)
    assert SourceSchedule("2h").trigger() is None and SourceSchedule("0 6 * * *").is_cron


@pytest.mark.parametrize("spec", ["0s", "soon", "61 * * * *"])
def test_bad_source_schedule(spec):
    with pytest.raises(ValueError):
        SourceSchedule(spec)


def test_parse_time():
    assert recheck.parse_time("2026-01-01T00:00:00+00:00") == T0
    assert recheck.parse_time(None) is None and recheck.parse_time("") is None


WEEK = timedelta(days=7)


@pytest.mark.parametrize("last, now, window", [
    (None, T0, ()),                                                  # a first pass sweeps nothing
    (T0, T0 + WEEK, ((0.0, 1.0),)),                                  # a whole cycle since: everything
    (T0 - timedelta(days=30), T0, ((0.0, 1.0),)),
    # 2026-01-01 is a Thursday, as the epoch was: whole weeks after it, phase 0
    (T0, T0 + timedelta(hours=42), ((0.0, 0.25),)),
    (T0 + timedelta(days=5), T0 + timedelta(days=8), ((5 / 7, 1.0), (0.0, 1 / 7))),   # wraps: two ranges
])
def test_sweep_window(last, now, window):
    got = recheck.sweep_window(last, now, 7)
    assert [pytest.approx(pair) for pair in got] == [list(pair) for pair in window]


def test_passes_sweep_every_document_once_a_cycle():
    """Passes at irregular times, for one cycle: each document falls in exactly one pass's window."""
    rng, ids = random.Random(5), range(1, 2001)
    times = [T0]
    while times[-1] < T0 + WEEK:
        times.append(times[-1] + timedelta(minutes=rng.uniform(5, 120)))
    swept = {i: 0 for i in ids}
    for last, now in zip(times, times[1:]):
        if now > T0 + WEEK:
            now = T0 + WEEK
        for low, high in recheck.sweep_window(last, now, 7):
            for i in ids:
                swept[i] += low <= recheck.sweep_phase(i) < high
    assert set(swept.values()) == {1}
    quarter_hour = sum(0.5 <= recheck.sweep_phase(i) < 0.5 + 1 / 672 for i in ids)
    assert 1 <= quarter_hour <= 6          # 2,000 documents over 672 quarter-hours: about 3 a pass
