"""Backfill against a hostile or broken web archive (issue 27, items 6-9 and 14), in process
against the replica Wayback Machine on loopback: every bound holds, nothing of another host is
recorded as history, and one bad answer costs that capture or that document only."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from remarkwatch.config import load_config
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.site import Site, article_2019
from remarkwatch.demo.replica.wayback import ArchivedCapture, WaybackArchive, WaybackReplica
from remarkwatch.history import backfill as bf
from remarkwatch.history import wayback as wb
from remarkwatch.history.targets import targets
from remarkwatch.storage.db import integrity_check, open_db
from tests.conftest import write_config
from tests.integration.test_backfill import replica, with_wayback
from tests.receivers import QuietServer

RELEASE = demo_releases()[0]
LINE = "gov,state)/x 20210727180000 https://www.state.gov/x text/html 200 AAAA 100\n"


@pytest.fixture(scope="module")
def site():
    with replica(Site(demo_releases())) as server:
        yield server


@pytest.fixture
def run(site, tmp_path):
    """Backfill the release against `archive` (configured with `extra` [backfill] lines): the
    result, the archive's database and how long it took."""
    def go(archive: WaybackArchive, extra: str = ""):
        with WaybackReplica(archive) as wayback:
            path = with_wayback(write_config(tmp_path, site.base_url), wayback.base_url)
            with path.open("a", encoding="utf-8") as out:
                out.write(extra)
            config = load_config(path)
            db = open_db(config.db_path)
            counts: dict = {}
            client = wb.wayback_client(config.backfill, config.user_agent, counts, config.max_page_bytes)
            started = time.monotonic()
            result = bf.Backfiller(config, db, client).run(targets(db, config, [], [site.base_url + RELEASE.path]))
            return result, db, time.monotonic() - started
    return go


def history(base: str, **answer) -> WaybackArchive:
    url = base + RELEASE.path
    old, edited = article_2019(RELEASE, base).encode(), article_2019(
        RELEASE.edited("Eritrean forces", "Eritrean refugees", "2021-07-28T10:00:00+00:00"), base).encode()
    return WaybackArchive([ArchivedCapture(url, "20210727180000", body=old),
                           ArchivedCapture(url, "20210728100000", body=edited, answer_headers=answer)])


def test_a_repeated_resume_key_ends_the_listing(run, site):
    archive = history(site.base_url)
    archive.search_override = (LINE + "\nSAMEKEY\n").encode()
    result, db, took = run(archive)
    assert result.counts["errors"] == 1 and any("repeats a resume key" in p for p in result.problems)
    assert archive.requests["search"] == 2 and took < 10


def test_a_429_on_a_later_page_lists_again_from_the_start(run, site):
    """The listing is asked again from its first page after a 429 on its second: the resume keys
    it gives again are not a loop (they were refused as one)."""
    from tests.integration.test_backfill import revert_history

    archive = WaybackArchive(revert_history(site.base_url, 600))     # 1,202 lines: two CDX pages
    archive.rate_limit(1, retry_after="1", only_if="resumeKey")
    result, db, took = run(archive)
    assert result.counts["errors"] == 0 and result.counts["rate_limited"] == 1, result.problems
    assert archive.requests["search"] == 3 and archive.requests["limited"] == 1 and result.counts["edits"] == 2


def test_endless_resume_keys_stop_at_the_page_bound(run, site, monkeypatch):
    monkeypatch.setattr(wb, "MAX_SEARCH_PAGES", 5)
    archive = history(site.base_url)
    pages = iter(range(10 ** 6))
    archive.search_override = lambda query: (LINE + f"\nkey{next(pages)}\n").encode()
    result, db, took = run(archive)
    assert result.counts["errors"] == 1 and any("passed 5 pages" in p for p in result.problems)
    assert archive.requests["search"] == 5


def test_an_answer_dripped_a_byte_at_a_time_ends_at_timeout_s(run, site):
    archive = history(site.base_url)
    archive.drip_s = 0.05              # the listing's ~300 bytes would take 15 s
    result, db, took = run(archive, "timeout_s = 1\n")
    assert result.counts["errors"] == 1 and any("more than timeout_s (1 s)" in p for p in result.problems)
    assert took < 6


class _Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"big")

    def log_message(self, *args):
        pass


def test_a_search_redirected_to_another_host_is_not_followed(run, site):
    other = QuietServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        archive = history(site.base_url)
        archive.search_redirect = f"http://127.0.0.1:{other.server_address[1]}/huge"
        result, db, took = run(archive)
        assert result.counts["errors"] == 1 and any("another host" in p for p in result.problems)
        assert _Counting.hits == 0
    finally:
        other.shutdown()


@pytest.mark.parametrize("original", ["javascript:alert(document.domain)", "https://evil.example/remarks/"])
def test_an_archive_naming_another_page_records_it_offsite_not_as_history(run, site, original):
    archive = history(site.base_url, Link=f'<{original}>; rel="original"')
    result, db, took = run(archive)
    rows = db.execute("SELECT outcome, final_url, error FROM captures ORDER BY observed_at").fetchall()
    assert [r[0] for r in rows] == ["ok", "offsite"]
    assert rows[1][1].startswith(site.base_url) and "not of replica's hosts" in rows[1][2]
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1
    assert not db.execute("SELECT COUNT(*) FROM document_urls WHERE url NOT LIKE 'http%'").fetchone()[0]
    assert integrity_check(db) == ["ok"]


@pytest.mark.parametrize("location, outcome, error", [
    ("http://evil.example/elsewhere", "unplayable", "not a memento URL"),
    # the package refuses a memento URL on another host itself (its ValueError, not followed)
    ("http://evil.example/web/20210728100000id_/http://evil.example/x", "unplayable", "not a memento URL"),
])
def test_a_memento_redirecting_out_of_the_archive_costs_that_capture_only(run, site, location, outcome, error):
    """An answer the package cannot take (a redirect out of the archive: its ValueError; an
    IndexError once stopped every run, item 14) is recorded as not playable, for good, and the
    rest of the history is read."""
    archive = history(site.base_url, Location=location)
    archive.captures[1].answer_status = 302      # listed as a 200, played back as a redirect
    result, db, took = run(archive)
    rows = db.execute("SELECT outcome, error FROM captures ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["ok", outcome] and error in rows[1][1]
    assert result.counts["errors"] == 0 and db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1
