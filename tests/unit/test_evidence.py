"""evidence/: Save Page Now requests written with their change, and the queue sent to a loopback
replica of the SPN2 API (slow, 429, a failed job, success), on a real SQLite file."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from remarkwatch.config import build_config
from remarkwatch.crawler.items import OK, Capture, Extracted
from remarkwatch.demo.replica.spn import SaveReplica, SaveService
from remarkwatch.errors import ConfigError
from remarkwatch.evidence.queue import send_queue
from remarkwatch.evidence.settings import SavePageNow
from remarkwatch.record.record import Rules, record
from remarkwatch.storage import spn as store
from remarkwatch.storage.db import open_db

URL = "https://www.state.gov/briefings/department-press-briefing/"
ENV = {"REMARKWATCH_SPN_ACCESS": "access-key", "REMARKWATCH_SPN_SECRET": "secret-key"}
BODIES = ("MR PRICE: We will send forces to the border today.", "MR PRICE: We will send refugees to the border today.")


def _edit(db, routes: tuple, url: str = URL) -> None:
    """A release recorded, then edited: change 1 is `new`, change 2 `edited`."""
    for i, body in enumerate(BODIES):
        now = f"2026-12-02T10:0{i}:00+00:00"
        record(db, Capture(source="state", url=url, final_url=url, status=200, fetched_at=now, outcome=OK,
                           fields=Extracted(title="Department Press Briefing", body_text=body)),
               Rules(site="state.gov", channels=routes), None, now)


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "archive.db")


@pytest.fixture
def service():
    return SaveService(pending_polls=1)


@pytest.fixture
def replica(service):
    with SaveReplica(service) as running:
        yield running


def _settings(replica, **extra) -> SavePageNow:
    defaults = dict(enabled=True, endpoint=replica.url, poll_s=0.02, min_interval_s=0, budget_s=10,
                    retry_base_s=60)
    return SavePageNow(**{**defaults, **extra})


def _send(db, settings, **extra):
    return send_queue(db, settings, user_agent="remarkwatch-test", env=ENV, rng=random.Random(1), **extra)


@pytest.mark.parametrize("routes, requests", [
    ((), 0),                                            # off (or a baseline pass): nothing asked
    ((SavePageNow(enabled=True),), 1),                  # the edit only: a new release is not an edit by default
    ((SavePageNow(enabled=True, kinds=("new", "edited")),), 2),
    ((SavePageNow(enabled=True, min_significance=100),), 0),
    ((SavePageNow(enabled=True, sources=("whitehouse",)),), 0),
])
def test_a_request_is_written_with_the_change_that_asks_for_it(db, routes, requests):
    _edit(db, routes)
    rows = store.listing(db)
    assert len(rows) == requests
    assert all(r["state"] == "pending" and r["url"] == URL and r["attempts"] == 0 for r in rows)
    assert not list(db.query("SELECT * FROM outbox")), "Save Page Now is no alert channel"


def test_success_records_the_memento_and_its_time(db, replica, service):
    _edit(db, (SavePageNow(enabled=True),))
    report = _send(db, _settings(replica))
    row = store.for_change(db, 2)
    assert row["state"] == "saved", row
    assert row["memento_url"].startswith(f"{replica.url}/web/") and row["memento_url"].endswith("/" + URL)
    assert row["memento_at"].endswith("+00:00") and row["attempts"] == 1
    assert report.counts["submitted"] == 1 and report.counts["saved"] == 1
    sent = service.submissions[0]
    assert sent["form"]["url"] == URL and sent["authorization"] == "LOW access-key:secret-key"
    assert "capture_all" not in sent["form"]


@pytest.mark.parametrize("status_ext, state, attempts", [
    ("error:invalid-host-resolution", "failed", 1),     # final: never tried again
    ("error:gateway-timeout", "pending", 1),            # transient: retried later with backoff
])
def test_an_error_job(db, replica, service, status_ext, state, attempts):
    service.fail("state.gov", status_ext)
    _edit(db, (SavePageNow(enabled=True),))
    report = _send(db, _settings(replica))
    row = store.for_change(db, 2)
    assert (row["state"], row["attempts"]) == (state, attempts)
    assert status_ext in row["last_error"] and report.errors
    if state == "pending":
        assert row["next_attempt_at"] > "2026-12-02", "the retry waits for its backoff"
        assert report.counts["retrying"] == 1


def test_a_transient_error_fails_for_good_after_max_attempts(db, replica, service):
    service.fail("state.gov", "error:gateway-timeout")
    _edit(db, (SavePageNow(enabled=True),))
    settings = _settings(replica, max_attempts=2)
    clock = iter(["2026-12-02T11:00:00+00:00"] * 6 + ["2026-12-03T11:00:00+00:00"] * 20)
    for _ in range(2):
        _send(db, settings, clock=lambda: next(clock))
    row = store.for_change(db, 2)
    assert row["state"] == "failed" and "after 2 attempts" in row["last_error"]


@pytest.mark.parametrize("retry_after, paused", [("120", "2026-12-02T11:02:00+00:00"), (None, "2026-12-02T11:05:00+00:00")])
def test_a_429_pauses_the_queue_and_spends_no_attempt(db, replica, service, retry_after, paused):
    service.limit(1, retry_after)
    _edit(db, (SavePageNow(enabled=True),))
    settings = _settings(replica, rate_limit_backoff_s=300)
    report = _send(db, settings, clock=lambda: "2026-12-02T11:00:00+00:00")
    row = store.for_change(db, 2)
    assert (row["state"], row["attempts"]) == ("pending", 0)
    assert report.paused_until == paused == store.paused_until(db)
    again = _send(db, settings, clock=lambda: "2026-12-02T11:01:00+00:00")
    assert again.paused_until == paused and not service.submissions, "nothing sent while paused"
    _send(db, settings, clock=lambda: "2026-12-02T11:06:00+00:00")
    assert store.for_change(db, 2)["state"] == "saved"


def test_the_session_limit_message_pauses_too(db, replica, service):
    service.session_limit(1)
    _edit(db, (SavePageNow(enabled=True),))
    report = _send(db, _settings(replica))
    assert report.paused_until and store.for_change(db, 2)["attempts"] == 0


def test_a_slow_archive_never_holds_the_round_past_its_budget(db, replica, service):
    """The replica answers after 2 s, the budget is 0.3 s: the request times out inside the budget
    and stays queued for the next round."""
    service.latency_s = 2.0
    _edit(db, (SavePageNow(enabled=True),))
    report = _send(db, _settings(replica, budget_s=0.3))
    row = store.for_change(db, 2)
    assert row["state"] == "pending" and "Timeout" in row["last_error"]
    assert report.counts["retrying"] == 1


def test_a_job_still_capturing_when_the_budget_ends_is_polled_next_round(db, replica, service):
    service.pending_polls = 1000
    _edit(db, (SavePageNow(enabled=True),))
    report = _send(db, _settings(replica, budget_s=0.2, poll_s=0.05))
    assert store.for_change(db, 2)["state"] == "submitted" and report.counts["capturing"] == 1
    service.pending_polls = 0
    _send(db, _settings(replica))
    assert store.for_change(db, 2)["state"] == "saved" and len(service.submissions) == 1, "polled, not resubmitted"


def test_at_most_max_active_jobs_run_at_once(db, replica, service):
    service.pending_polls = 1000
    for n in range(3):
        _edit(db, (SavePageNow(enabled=True),), url=f"{URL}{n}/")
    report = _send(db, _settings(replica, max_active=2, budget_s=0.2, poll_s=0.05))
    assert len(service.submissions) == 2 and report.counts["capturing"] == 2
    assert store.counts(db) == {"submitted": 2, "pending": 1}


@pytest.mark.parametrize("env, held", [({}, "not set in the environment"),
                                       ({"REMARKWATCH_SPN_ACCESS": "wrong", "REMARKWATCH_SPN_SECRET": "x"}, "refused")])
def test_missing_or_refused_keys_hold_the_queue_back(db, replica, service, env, held):
    _edit(db, (SavePageNow(enabled=True),))
    report = send_queue(db, _settings(replica), user_agent="t", env=env)
    assert held in report.held and store.for_change(db, 2)["attempts"] == 0


@pytest.mark.parametrize("table, message", [
    ({"enabled": "yes"}, "expected true or false"),
    ({"endpoint": "ftp://x"}, "is not an http"),
    ({"kinds": ["removed"]}, "no page to capture"),
    ({"sources": ["nowhere"]}, "no source named 'nowhere'"),
    ({"max_active": 50}, "1 to 12"),
    ({"budget_s": 0}, "above 0"),
    ({"access_env": "not a name"}, "environment variable"),
    ({"colour": 1}, "unknown key 'colour'"),
])
def test_config_errors(table, message):
    with pytest.raises(ConfigError, match=message):
        build_config({"save_page_now": table}, Path("rw.toml"))


def test_config_is_off_by_default_and_read_when_given():
    assert not build_config({}, Path("rw.toml")).save_page_now.enabled
    config = build_config({"save_page_now": {"enabled": True, "budget_s": 5, "endpoint": "http://127.0.0.1:9/"}},
                          Path("rw.toml"))
    assert config.save_page_now.enabled and config.save_page_now.budget_s == 5.0
    assert config.save_page_now.endpoint == "http://127.0.0.1:9"
    assert config.change_routes()[-1] is config.save_page_now


@pytest.mark.parametrize("row, state, line", [
    ({}, None, None),                                                   # no capture asked
    ({"spn_state": "pending"}, "pending", "pending, not made yet"),
    ({"spn_state": "submitted"}, "capturing", "capturing, not made yet"),
    ({"spn_state": "saved", "spn_memento_url": "https://web.archive.org/web/20261202100500/u",
      "spn_memento_at": "2026-12-02T10:05:00+00:00"}, "saved",
     "https://web.archive.org/web/20261202100500/u at 2 Dec 2026, 10:05 UTC"),       # the time in words
    ({"spn_state": "failed", "spn_error": "error:blocked: nope"}, "failed", "failed for good: error:blocked: nope"),
])
def test_the_proof_every_surface_shows(row, state, line):
    from remarkwatch.evidence import proof

    shown = proof.third_party(row)
    assert (shown or {}).get("state") == state
    assert (shown or {}).get("captured_at") == row.get("spn_memento_at")         # the payload keeps ISO
    assert (proof.line(shown) or "").endswith(line or "")
    assert (proof.line(shown) is None) is (line is None)


CHANGE = {"id": 35, "kind": "edited", "title": "Department Press Briefing – July 27, 2021", "source": "state",
          "url": "https://www.state.gov/briefings/department-press-briefing-july-27-2021/",
          "previous_seen_at": "2026-11-27T06:23:10+00:00", "observed_at": "2026-11-27T06:38:35+00:00",
          "detected_at": "2026-11-27T06:38:35+00:00"}


@pytest.mark.parametrize("extra, expected", [
    ({}, "“Department Press Briefing – July 27, 2021”, www.state.gov, changed between 27 Nov 2026, 06:23 UTC and "
         "27 Nov 2026, 06:38 UTC (remarkwatch change #35, edited): https://a.example/-/change/35"),
    ({"previous_seen_at": None, "kind": "new", "observed_at": "2026-12-02T02:56:00+00:00"},
     "www.state.gov, first seen 2 Dec 2026, 02:56 UTC (remarkwatch change #35, new)"),
    ({"spn_memento_url": "https://web.archive.org/web/20261127063912/u"},
     "/-/change/35 · archived by Internet Archive Save Page Now https://web.archive.org/web/20261127063912/u"),
    ({"from_memento_url": "https://web.archive.org/web/2021id_/u", "memento_url": "https://web.archive.org/web/2022id_/u"},
     "/-/change/35 · archived before https://web.archive.org/web/2021id_/u · archived after "
     "https://web.archive.org/web/2022id_/u"),
])
def test_the_cite_this_line(extra, expected):
    from remarkwatch.evidence import proof

    assert expected in proof.cite({**CHANGE, **extra}, "https://a.example/-/change/35")


@pytest.mark.parametrize("proof, shown, hidden", [
    ({"service": "S", "state": "saved", "memento_url": "https://web.archive.org/web/1/u",
      "captured_at": "2026-12-02T10:05:00+00:00", "error": None},
     '<a href="https://web.archive.org/web/1/u" rel="nofollow noopener">', "not made yet"),
    ({"service": "S", "state": "saved", "memento_url": "https://web.archive.org/web/1/u",
      "captured_at": "2026-12-02T10:05:00+00:00", "error": None},
     "captured 2 Dec 2026, 10:05 UTC", "2026-12-02T"),                # the time in words, as the page shows it
    ({"service": "S", "state": "failed", "memento_url": None, "captured_at": None, "error": "<script>x</script>"},
     "failed for good — &lt;script&gt;x&lt;/script&gt;", "<script>"),
    ({"service": "S", "state": "capturing", "memento_url": None, "captured_at": None, "error": None},
     "capturing, not made yet", "href"),
])
def test_the_change_page_fragment_shows_each_state_escaped(proof, shown, hidden):
    from jinja2 import Environment, FileSystemLoader

    import remarkwatch.web

    from remarkwatch.web.plugin import prepare_jinja2_environment

    env = Environment(loader=FileSystemLoader(Path(remarkwatch.web.__file__).parent / "templates"), autoescape=True)
    prepare_jinja2_environment(env, None)        # the filters the pages have (rw_when)
    html = env.get_template("remarkwatch_proof.html").render(proof=proof)
    assert shown in html and hidden not in html


def test_the_daemon_sends_the_queue_between_passes(tmp_path, replica, service, monkeypatch):
    from remarkwatch.passes.daemon import Daemon

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = build_config({"db": "a.db", "save_page_now": {"enabled": True, "endpoint": replica.url, "poll_s": 0.02,
                                                           "min_interval_s": 0}}, tmp_path / "rw.toml")
    _edit(open_db(config.db_path), (config.save_page_now,))
    said: list[str] = []
    Daemon(config, say=said.append)._send()
    assert store.for_change(open_db(config.db_path), 2)["state"] == "saved"
    assert said == ["save page now: 1 submitted, 1 saved"]


@pytest.mark.parametrize("counts, extra, said", [
    ({}, {}, "save page now: nothing sent"),
    ({"submitted": 2, "saved": 1, "capturing": 1}, {}, "save page now: 2 submitted, 1 saved, 1 still capturing"),
    ({"retrying": 1, "failed": 1}, {"paused_until": "2026-12-02T11:05:00+00:00"},
     "save page now: 1 to retry later, 1 failed for good; paused until 2026-12-02T11:05:00+00:00 (429)"),
    ({}, {"held": "not set in the environment: $A, $B"}, "save page now: nothing sent; held back: not set in the environment: $A, $B"),
])
def test_the_summary_says_only_what_happened(counts, extra, said):
    from collections import Counter

    from remarkwatch.evidence.queue import QueueReport

    assert QueueReport(counts=Counter(counts), **extra).summary() == said


@pytest.mark.parametrize("header, seconds", [
    ("120", 120.0), ("-5", 0.0), ("", None), ("soon", None),
    ("Wed, 02 Dec 2026 11:02:00 GMT", 120.0),          # an HTTP date, as RFC 9110 allows
])
def test_retry_after_in_seconds_or_as_a_date(header, seconds):
    from datetime import datetime, timezone

    import requests

    from remarkwatch.evidence.spn import _retry_after

    response = requests.Response()
    response.headers["Retry-After"] = header
    assert _retry_after(response, datetime(2026, 12, 2, 11, 0, tzinfo=timezone.utc)) == seconds
