"""Scheduling: decaying re-checks, source schedules, due-logic, the pass lock (injected clocks),
then cron-style passes, conditional requests and the sweep against the replica."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from remarkwatch.config import load_config
from remarkwatch.errors import ConfigError
from remarkwatch.passes.run import plan
from remarkwatch.core.recheck import DEFAULT, Recheck, SourceSchedule, duration_s
from remarkwatch.storage import captures as captures_table, documents
from remarkwatch.storage import schedule as store
from remarkwatch.storage.db import open_db
from tests.conftest import crawl, db_at, run_cli, write_config

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def test_durations():
    assert [duration_s(t) for t in ("30s", "15m", "2h", "7d", "1w", "1.5h")] == [30, 900, 7200, 604800, 604800, 5400]
    with pytest.raises(ValueError, match="not a duration"):
        duration_s("15 minutes")


def test_recheck_decays_with_age_and_is_jittered():
    assert [DEFAULT.interval_s(age * 3600) for age in (1, 47, 49, 24 * 6, 24 * 8, 24 * 40)] == [
        900, 900, 3600, 3600, 86400, 604800]
    rng = random.Random(1)
    waits = [(DEFAULT.next_check(T0, T0, rng) - T0).total_seconds() for _ in range(200)]
    assert 810 <= min(waits) < max(waits) <= 990 and len(set(waits)) > 100     # 15 min ± 10 %
    assert DEFAULT.next_check(T0 - timedelta(days=60), T0, rng) - T0 > timedelta(days=6)
    with pytest.raises(ValueError, match="last tier"):
        Recheck.parse([["48h", "15m"]])
    with pytest.raises(ValueError, match="in order"):
        Recheck.parse([["7d", "1h"], ["48h", "15m"], ["*", "7d"]])


def test_source_schedules_interval_and_cron():
    every = SourceSchedule("15m")
    assert every.is_due(None, T0)
    assert not every.is_due(T0 - timedelta(minutes=10), T0)
    assert every.is_due(T0 - timedelta(minutes=14, seconds=40), T0)     # a cron tick a few seconds early
    cron = SourceSchedule("0 */6 * * *")
    assert cron.next_due(T0 + timedelta(minutes=5), T0) == T0 + timedelta(hours=6)
    assert not cron.is_due(T0 + timedelta(minutes=5), T0 + timedelta(hours=5))
    assert cron.is_due(T0 + timedelta(minutes=5), T0 + timedelta(hours=6))
    with pytest.raises(ValueError):
        SourceSchedule("every 5")


def test_schedule_keys_are_validated(tmp_path):
    for extra, message in [('schedule = "every 5"', "schedule: .*interval such as"),
                           ('recheck = [["48h", "15m"]]', "recheck: the last tier"),
                           ('recheck = ["15m"]', r"recheck: a list of \[AGE, INTERVAL\] pairs"),
                           ("sweep_days = 0", "sweep_days: above 0")]:
        path = write_config(tmp_path, "https://www.state.gov")
        path.write_text(path.read_text().replace('schedule = "1s"\nrecheck = [["*", "0s"]]', extra))
        with pytest.raises(ConfigError, match=message):
            load_config(path)


def test_plan_and_due_documents(tmp_path, server):
    config = load_config(write_config(tmp_path, server.base_url, sweep_days=7).as_posix())
    source = config.sources[0]
    db = open_db(config.db_path)
    assert plan(db, [source], iso(T0)) == ([source], {})              # never crawled: due
    with db.atomic():
        store.save_source_state(db, source.name, last_started_at=iso(T0))
    assert plan(db, [source], iso(T0)) == ([source], {})              # "1s": due again at once
    hourly = type(source)(**{**source.__dict__, "schedule": SourceSchedule("1h")})
    due, waiting = plan(db, [hourly], iso(T0 + timedelta(minutes=20)))
    assert due == [] and waiting == {source.name: iso(T0 + timedelta(hours=1))}
    for key, next_check in (("a", iso(T0 - timedelta(minutes=1))), ("b", iso(T0 + timedelta(minutes=5))), ("c", None)):
        doc = documents.create_document(db, {"source": source.name, "key": key, "url": f"https://x/{key}/",
                                           "first_seen": iso(T0), "last_seen": iso(T0), "next_check_at": next_check})
        captures_table.insert_capture(db, {"source": source.name, "url": f"https://x/{key}/", "final_url": f"https://x/{key}/",
                                    "outcome": "ok", "fetched_at": iso(T0), "etag": f'"{key}1"',
                                    "last_modified": "Fri, 27 Nov 2026 12:00:00 GMT", "document_id": doc})
    due = store.due_documents(db, source.name, iso(T0))
    assert [(d["url"], d["etag"]) for d in due] == [("https://x/c/", '"c1"'), ("https://x/a/", '"a1"')]
    everything = store.due_documents(db, source.name, iso(T0), everything=True)
    assert len(everything) == 3 and {d["etag"] for d in everything} == {None}   # a sweep is unconditional


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_lock_is_exclusive_and_a_dead_holder_is_taken_over(tmp_path):
    db = open_db(tmp_path / "a.db")
    import socket
    with db.atomic():
        db.execute("INSERT INTO locks (name, pid, host, acquired_at) VALUES ('pass', ?, ?, 't')",
                   [os.getppid(), socket.gethostname()])
    holder = store.acquire_lock(db, "pass", iso(T0))
    assert holder["pid"] == os.getppid()
    with db.atomic():
        db.execute("UPDATE locks SET pid = ?", [dead_pid()])
    assert store.acquire_lock(db, "pass", iso(T0)) is None
    assert next(db.query("SELECT pid FROM locks"))["pid"] == os.getpid()
    store.release_lock(db, "pass")
    assert db["locks"].count == 0


@pytest.mark.slow
def test_cron_passes_follow_the_schedule_and_the_lock(tmp_path, server, site):
    config_path = write_config(tmp_path, server.base_url)
    config_path.write_text(config_path.read_text().replace('schedule = "1s"', 'schedule = "1h"'))
    assert "34 new" in crawl(config_path).stdout
    second = crawl(config_path)
    assert "replica: not due until" in second.stdout and "pages fetched" not in second.stdout
    assert db_at(config_path)["runs"].count == 1
    assert "34 pages fetched" in crawl(config_path, "--full").stdout
    db = db_at(config_path)
    import socket
    with db.atomic():
        db.execute("INSERT INTO locks (name, pid, host, acquired_at) VALUES ('pass', ?, ?, 't')",
                   [os.getppid(), socket.gethostname()])
    blocked = crawl(config_path, "--full")
    assert blocked.returncode == 0 and "another pass is running" in blocked.stdout
    assert db_at(config_path)["runs"].count == 2
    with db.atomic():
        db.execute("UPDATE locks SET pid = ?", [dead_pid()])            # its holder was killed
    assert "34 pages fetched" in crawl(config_path, "--full").stdout


@pytest.mark.slow
def test_conditional_requests_and_the_sweep(tmp_path, server, site):
    config_path = write_config(tmp_path, server.base_url)
    crawl(config_path)
    db = db_at(config_path)
    captures = db["captures"].count
    second = crawl(config_path).stdout
    assert "34 unchanged" in second and "(34 not_modified)" in second and site.not_modified == 34
    assert db["captures"].count == captures                   # a 304 stores nothing but the check time
    checked = {r["last_checked_at"] for r in db.query("SELECT last_checked_at FROM documents")}
    assert len(checked) >= 1 and None not in checked
    site.edit("department-press-briefing-july-27-2021", "Eritrean forces", "Eritrean refugees")
    third = crawl(config_path).stdout
    assert "1 edited" in third and "(33 not_modified)" in third
    # The sweep re-fetches everything without validators: it catches what a stale ETag would hide.
    config_path.write_text(config_path.read_text() + "sweep_days = 0.000001\n")
    # The archive's times have whole seconds: a pass in the same second as the last one has no
    # time since it, so no part of the sweep's cycle to re-fetch. The last pass is put back.
    with db.conn:
        db.execute("UPDATE source_state SET last_started_at = '2020-01-01T00:00:00+00:00'")
    before, stored = site.not_modified, db["captures"].count
    swept = crawl(config_path).stdout
    assert "34 unchanged" in swept and site.not_modified == before
    # Pages answered with the very bytes of their last good fetch: nothing extracted, nothing stored.
    assert "(34 same_bytes)" in swept and db["captures"].count == stored
    site.edit("department-press-briefing-july-27-2021", "Eritrean refugees", "Eritrean forces")
    assert "1 edited" in crawl(config_path).stdout                    # new bytes are read in full


@pytest.mark.slow
def test_documents_follow_their_recheck_schedule(tmp_path, server, site):
    config_path = write_config(tmp_path, server.base_url)
    config_path.write_text(config_path.read_text().replace('recheck = [["*", "0s"]]\n', ""))
    crawl(config_path)
    db = db_at(config_path)
    waits = [datetime.fromisoformat(r["next_check_at"]) - datetime.fromisoformat(r["last_checked_at"])
             for r in db.query("SELECT next_check_at, last_checked_at FROM documents")]
    assert all(timedelta(minutes=13) <= w <= timedelta(minutes=17) for w in waits)    # new: every 15 min
    quiet = crawl(config_path).stdout
    assert "0 pages fetched" in quiet                        # nothing due: listings only, no article
    status = run_cli("status", "--config", config_path, check=True).stdout
    assert "34 documents, 0 due for a re-check now" in status and "daemon:   never run" in status


@pytest.mark.slow
def test_signals_flag_the_edited_page_and_find_new_ones(tmp_path, server, site):
    from remarkwatch.demo.replica.content import DEMO_NEW
    from remarkwatch.demo.replica.site import LISTING, SITEMAP, Response

    config_path = write_config(tmp_path, server.base_url)
    config_path.write_text(config_path.read_text().replace('recheck = [["*", "0s"]]\n', ""))
    crawl(config_path)
    hits_before = dict(site.hits)
    time.sleep(1.1)               # the edit is stamped a second after the first pass checked the page
    edited = site.edit("department-press-briefing-july-27-2021", "Eritrean forces", "Eritrean refugees",
                       modified=iso(datetime.now(timezone.utc)))
    second = crawl(config_path).stdout
    assert "1 pages fetched, 0 new, 1 edited" in second
    assert re.search(r"\(1 via (sitemap|rest)\)", second)     # both flag it; it is fetched and counted once
    fetched = {p for p, n in site.hits.items() if n > hits_before.get(p, 0)}
    articles = {p for p in fetched if p.startswith("/") and p not in (LISTING, "/robots.txt") and "/page/" not in p
                and "sitemap" not in p and "rss-feed" not in p and not p.startswith("/wp-json/")}
    assert articles == {edited.path}                  # no other page was fetched
    assert SITEMAP in fetched and "/page-sitemap.xml" not in fetched   # only the included child sitemap
    # A release the listing does not show (here: an empty listing page) is found through the feed.
    site.override(LISTING, Response(200, b"<html><body><main><ul></ul></main></body></html>"))
    site.publish(DEMO_NEW)
    third = run_cli("crawl", "--config", config_path)
    # A listing with no items is reported (exit 3, for cron and health checks) while the feed
    # still brings the release in.
    assert third.returncode == 3 and "has no items matching" in third.stderr
    assert "1 pages fetched, 1 new" in third.stdout and re.search(r"\(1 via (feed|rest)\)", third.stdout)
    rest_calls = [p for p in site.hits if p.startswith("/wp-json/wp/v2/")]
    assert sorted(rest_calls) == ["/wp-json/wp/v2/state_briefing", "/wp-json/wp/v2/state_press_release"]


def test_missing_and_blocked_documents_are_due_whatever_their_age(tmp_path):
    db = open_db(tmp_path / "a.db")
    later = iso(T0 + timedelta(days=7))
    for key, state in (("old", "active"), ("old-missing", "missing"), ("old-blocked", "blocked"), ("old-removed", "removed")):
        documents.create_document(db, {"source": "s", "key": key, "url": f"https://x/{key}/", "first_seen": iso(T0),
                                     "last_seen": iso(T0), "state": state, "next_check_at": later})
    documents.create_document(db, {"source": "other", "key": "other-missing", "url": "https://x/o/", "first_seen": iso(T0),
                                 "last_seen": iso(T0), "state": "missing", "next_check_at": later})
    assert [d["url"] for d in store.due_documents(db, "s", iso(T0))] == ["https://x/old-missing/", "https://x/old-blocked/"]


@pytest.mark.slow
def test_recheck_auto_plans_the_sources_tiers_at_each_pass(tmp_path, server, site):
    """A real pass with recheck = "auto": the documents follow the tiers planned for the source
    (recorded as its rule), not the hand-set ones, and status shows the budget."""
    from remarkwatch.passes import autorecheck

    config_path = write_config(tmp_path, server.base_url)
    config_path.write_text(config_path.read_text().replace('schedule = "1s"\nrecheck = [["*", "0s"]]\n',
                                                           'schedule = "15m"\nrecheck = "auto"\n'))
    crawl(config_path)
    crawl(config_path, "--now")         # planned with the archive the first pass filled
    config = load_config(config_path.as_posix())
    db = db_at(config_path)
    planned = autorecheck.source_plan(db, config, config.sources[0], datetime.now(timezone.utc)).plan.recheck
    assert store.source_state(db, config.sources[0].name)["recheck_rule"] == planned.spec() != DEFAULT.spec()
    young = planned.interval_s(0)
    waits = [datetime.fromisoformat(r["next_check_at"]) - datetime.fromisoformat(r["first_seen"])
             for r in db.query("SELECT next_check_at, first_seen FROM documents")]
    assert all(0.85 * young <= w.total_seconds() <= 1.15 * young + 60 for w in waits)   # new: the first tier
    status = run_cli("status", "--config", config_path, check=True).stdout
    assert "requests a day" in status and "re-checks (auto, 0 edited documents seen)" in status
