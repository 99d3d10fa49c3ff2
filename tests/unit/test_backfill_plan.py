"""Backfill's decisions, in process: which listed captures it fetches (200s and revisits, one per
run of a digest), how a budget and the archive's rate limit are spent, what a second run reuses,
and where a document's history still has room. Against the replica Wayback Machine on loopback
through the real `wayback` package, into a real SQLite file."""
from __future__ import annotations

import pytest
import requests
from wayback.exceptions import RateLimitError

from remarkwatch.demo.replica.wayback import ArchivedCapture
from remarkwatch.history.backfill import Backfiller, BackfillResult, Region, open_regions
from remarkwatch.history.targets import Target
from remarkwatch.history.wayback import wayback_client
from remarkwatch.storage.db import open_db
from tests.unit.conftest import URL, release_page, state_config

A = release_page()
B = release_page("Eritrean forces", "Eritrean refugees")
NOT_FOUND = b"<html><body>Page not found</body></html>"
FAST = {"search_per_second": 10_000, "memento_per_second": 10_000, "retries": 0, "rate_limit_backoff_s": 3.0}


def archived(hour: int, body: bytes = A, **kw) -> ArchivedCapture:
    return ArchivedCapture(URL, f"20210727{hour:02d}0000", body=body, **kw)


@pytest.fixture(scope="module")
def config(_wayback_replica, tmp_path_factory):
    """Read from the replica; its archive file is each test's own (the Backfiller is given it)."""
    return state_config(tmp_path_factory.mktemp("backfill"), backfill={"wayback_url": _wayback_replica.base_url,
                                                                          **FAST})


@pytest.fixture
def backfill(wayback, config, archive_path):
    """Run a Backfiller over URL with the archive holding `captures`: (result, db, waits asked)."""
    archive, _ = wayback
    db = open_db(archive_path)

    def go(captures=(), max_captures=None):
        for capture in captures:
            archive.add(capture)
        waits: list[float] = []
        runner = Backfiller(config, db, wayback_client(config.backfill, config.user_agent),
                            max_captures=max_captures, sleep=waits.append)
        return runner.run([Target(config.sources[0], URL)]), db, waits
    go.archive = archive
    return go


@pytest.mark.parametrize("captures, expected", [
    # A repeat of one digest is not fetched, nor a 404; the edit between A and B is.
    ([archived(11, A), archived(12, A), archived(13, NOT_FOUND, status=404), archived(14, B)],
     dict(listed=4, repeats=1, not_200=1, fetched=2, versions=2, edits=1)),
    # A revisit is A's content again after B: a revert, fetched like any capture.
    ([archived(11, A), archived(12, B), archived(13, A, revisit=True)],
     dict(listed=3, fetched=3, versions=3, edits=2)),
    # Listed but played back as another capture: recorded as unplayable, the history read on past it.
    ([archived(11, A), archived(12, B, playable=False)], dict(listed=2, fetched=1, unplayable=1, versions=1)),
])
def test_what_a_listing_becomes(backfill, captures, expected):
    result, _, _ = backfill(captures)
    assert {key: result.counts[key] for key in expected} == expected
    assert result.counts["documents"] == 1 and result.counts["errors"] == 0


@pytest.mark.parametrize("budget, fetched, left, why", [
    (2, 2, 1, " (--max-captures)"),
    (0, 0, 3, " (--max-captures)"),
])
def test_max_captures_reads_history_oldest_first(backfill, budget, fetched, left, why):
    result, db, _ = backfill([archived(11, A), archived(12, B), archived(13, A)], max_captures=budget)
    assert (result.counts["fetched"], result.counts["left"], result.counts["left_by_budget"]) == (fetched, left, left)
    assert f"left for the next run{why};" in result.summary()
    observed = [r[0][:13] for r in db.execute("SELECT observed_at FROM versions ORDER BY observed_at")]
    assert observed == ["2021-07-27T11", "2021-07-27T12", "2021-07-27T13"][:fetched]


def rate_limited(retry_after: str | None) -> RateLimitError:
    """The package's error for a 429, as its session raises it (with the delay it parsed)."""
    response = requests.Response()
    response.status_code = 429
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return RateLimitError(response, float(retry_after) if retry_after else 60.0)


@pytest.mark.parametrize("answers, waits", [
    (["7"], [7.0]),
    ([None, None], [3.0, 6.0]),      # no Retry-After: rate_limit_backoff_s, doubled at each further 429
    (["2", None, "0"], [2.0, 6.0, 12.0]),   # a Retry-After of 0 tells nothing: the backoff
])
def test_the_archive_rate_limit_is_waited_out_and_the_request_sent_again(config, answers, waits):
    asked: list[float] = []
    runner = Backfiller(config, None, None, sleep=asked.append)
    left = list(answers)

    def call():
        if left:
            raise rate_limited(left.pop(0))
        return "answered"
    assert runner.patiently(call) == "answered"
    assert asked == waits and runner.result.counts["rate_limited"] == len(answers)


class Refusing:
    """An archive client whose every search is refused as the package refuses it past a 429."""

    def search(self, url, **kwargs):
        raise rate_limited(None)


def test_an_archive_that_never_stops_refusing_costs_the_document_not_the_run(config, archive_path):
    asked: list[float] = []
    result = Backfiller(config, open_db(archive_path), Refusing(), sleep=asked.append).run(
        [Target(config.sources[0], URL), Target(config.sources[0], URL.replace("/2021/", "/2022/"))])
    assert (result.counts["documents"], result.counts["errors"], len(asked)) == (2, 2, 10)    # 5 waits each
    assert "the archive's search failed: RateLimitError" in result.problems[0]


@pytest.mark.parametrize("pred, succ, when, inside", [
    (None, None, "2021-01-01", True),
    (None, {"observed_at": "2021-06-01"}, "2021-05-31", True),
    (None, {"observed_at": "2021-06-01"}, "2021-06-01", False),
    ({"observed_at": "2021-06-01"}, None, "2021-06-01", False),
    ({"observed_at": "2021-06-01"}, {"observed_at": "2021-07-01"}, "2021-06-15", True),
    ({"observed_at": "2021-06-01"}, {"observed_at": "2021-07-01"}, "2021-07-02", False),
])
def test_a_region_holds_only_what_lies_strictly_between_its_versions(pred, succ, when, inside):
    assert Region(pred, succ).holds(when) is inside


def test_regions_of_an_archived_history_and_a_second_run(backfill):
    first_run, db, _ = backfill([archived(11, A), archived(12, B)])
    mementos = backfill.archive.requests["memento"]
    document = db.execute("SELECT id FROM documents").fetchone()[0]
    first, last = (r[0] for r in db.execute("SELECT id FROM versions ORDER BY observed_at"))
    # Before the first version, and after the last one (it came from an archive); the two are
    # joined by a change, so nothing may go between them.
    assert [(r.pred and r.pred["id"], r.succ and r.succ["id"]) for r in open_regions(db, document)] == [
        (None, first), (last, None)]
    assert [(r.pred, r.succ) for r in open_regions(db, None)] == [(None, None)]
    # A second run finds the whole history behind the last archived version: nothing is placed
    # again, nothing fetched.
    second_run, _, _ = backfill()
    assert (first_run.counts["fetched"], second_run.counts["fetched"], second_run.counts["outside"]) == (2, 0, 2)
    assert backfill.archive.requests["memento"] == mementos
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 2


@pytest.mark.parametrize("left, by_budget, why", [
    (0, 0, ""),
    (3, 3, " (--max-captures)"),
    (2, 0, " (after a capture not reached)"),
    (5, 2, " (--max-captures and after a capture not reached)"),
])
def test_the_summary_says_why_captures_were_left(left, by_budget, why):
    result = BackfillResult()
    result.counts.update(left=left, left_by_budget=by_budget)
    assert f"{left} left for the next run{why};" in result.summary()
