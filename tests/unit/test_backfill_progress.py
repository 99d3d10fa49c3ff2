"""Backfill's progress line (history/progress.py): counts and the time the archive's rate limits
need on a terminal, problems on their own line; nothing but logged problems elsewhere."""
from __future__ import annotations

import io
import logging

import pytest

from remarkwatch.config import Backfill
from remarkwatch.history.backfill import BackfillResult
from remarkwatch.history.progress import BackfillProgress, _duration


def result(**counts) -> BackfillResult:
    made = BackfillResult()
    made.counts.update(counts)
    return made


@pytest.mark.parametrize("done, total, fetched, left, eta", [
    (1, 1, 10, 0, "ETA 0s"),
    # 9 documents left, each a search (1/0.5 s) and 10 mementos (10/5 s): 36 s.
    (1, 10, 8, 2, "ETA 36s"),
    (10, 1000, 100, 0, "ETA 1h06m"),        # 990 documents at 4 s each
    (1, 31, 0, 0, "ETA 1m00s"),             # no mementos yet: the searches alone
])
def test_the_line_shows_counts_and_the_time_the_rate_limits_need(done, total, fetched, left, eta):
    stream = io.StringIO()
    progress = BackfillProgress(Backfill(search_per_second=0.5, memento_per_second=5), stream, enabled=True)
    progress.update(result(listed=40, fetched=fetched, left=left, versions=3, edits=2), done=done, total=total)
    assert stream.getvalue() == (f"\r\x1b[2Kbackfill: {done}/{total} documents, 40 captures listed, {fetched} fetched, "
                                 f"3 versions, 2 edits, {eta} at the archive's rate limits")


def test_a_problem_clears_the_line_and_gets_its_own():
    stream = io.StringIO()
    progress = BackfillProgress(Backfill(), stream, enabled=True)
    progress.update(result(), done=1, total=2)
    progress.problem("https://web.archive.org/x: 503")
    assert stream.getvalue().endswith("\r\x1b[2Kproblem: https://web.archive.org/x: 503\n")
    progress.clear()          # nothing shown any more: nothing to clear
    assert stream.getvalue().endswith("problem: https://web.archive.org/x: 503\n")


def test_without_a_terminal_only_problems_are_logged(caplog):
    stream = io.StringIO()
    progress = BackfillProgress(Backfill(), stream, enabled=False)
    with caplog.at_level(logging.WARNING, logger="remarkwatch.history.backfill"):
        progress.update(result(fetched=3), done=1, total=2)
        progress.problem("a capture was unplayable")
    assert stream.getvalue() == "" and caplog.messages == ["a capture was unplayable"]


@pytest.mark.parametrize("seconds, shown", [(0, "0s"), (59.9, "59s"), (60, "1m00s"), (3599, "59m59s"),
                                            (3600, "1h00m"), (90061, "25h01m")])
def test_durations_read_at_a_glance(seconds, shown):
    assert _duration(seconds) == shown


@pytest.mark.parametrize("enabled, shown", [
    (True, "\r\x1b[2Kdiscover: www.state.gov/: 3 index pages, 2175 release URLs found (2.0 s a page at the archive's "
           "rate limits)"),
    (False, ""),
])
def test_discovery_shows_the_index_pages_read_and_the_releases_found(enabled, shown):
    stream = io.StringIO()
    BackfillProgress(Backfill(search_per_second=0.5), stream, enabled=enabled).listing("www.state.gov/", 3, 2175)
    assert stream.getvalue() == shown


def test_discovery_progress_counts_the_releases_earlier_runs_backfilled():
    from remarkwatch.history.discover import _Overall

    stream = io.StringIO()
    _Overall(BackfillProgress(Backfill(), stream, enabled=True), 1570).update(result(), done=5, total=605)
    assert "backfill: 1575/2175 documents" in stream.getvalue()
