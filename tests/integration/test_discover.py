"""`remarkwatch backfill --discover` against the replica Wayback Machine holding a planted site
(monitor/demo/replica/planted.py): a decade of releases, their edits, reverts and slug changes,
and pages that are not releases. The CLI runs in forked children, one of them killed (SIGKILL)
at random points until a run finishes; the replica's request log tells what was asked twice."""
from __future__ import annotations

import json
import os
import random
import signal
import tempfile
import time
from collections import Counter

import pytest

from remarkwatch.demo.replica.planted import planted_site
from remarkwatch.demo.replica.wayback import WaybackArchive, WaybackReplica
from remarkwatch.storage.db import integrity_check, open_db
from tests import forked as fork
from tests.conftest import ROOT, forked, write_config
from tests.integration.test_backfill import with_wayback

# The site's own address is never fetched (only the archive's copies are): any port the `wayback`
# package reads back unchanged (it strips ":80" and ":443" at the start of any port).
BASE = "http://127.0.0.1:9311"


@pytest.fixture
def planted(tmp_path):
    site = planted_site(BASE, 16, seed=11, captures=(3, 7), edit_chance=0.3, move_chance=0.5)
    archive = WaybackArchive(site.captures)
    with WaybackReplica(archive) as wayback:
        config = with_wayback(write_config(tmp_path, BASE), wayback.base_url)
        yield site, archive, config


def discover(config, *args):
    return forked("backfill", "--config", str(config), "--discover", "--source", "replica", *args)


def mementos(archive) -> Counter:
    return Counter(path for path in archive.log if path.startswith("/web/"))


def killed_until_done(config, rng: random.Random, kills: int = 12) -> int:
    """Up to KILLS runs killed with SIGKILL after a random moment, then one run to its end (a
    slow machine must not turn the loop endless); the kills."""
    args = ["backfill", "--config", str(config), "--discover", "--source", "replica", "--page-lines", "5"]
    for kill in range(kills + 1):
        with tempfile.TemporaryDirectory() as folder:
            process = fork.start(args, cwd=str(ROOT), env={}, out=f"{folder}/out", err=f"{folder}/err")
            process.join(rng.uniform(0.05, 0.6) if kill < kills else 60)
            if process.exitcode is not None:
                assert process.exitcode == 0, open(f"{folder}/err").read()
                return kill
            process.kill()
            process.join()
    raise AssertionError("the last run did not end within 60 s")


def test_a_killed_discovery_finds_every_planted_release_edit_and_revert(planted):
    site, archive, config = planted
    kills = killed_until_done(config, random.Random(5))
    db = open_db(config.parent / "archive.db")
    assert integrity_check(db) == ["ok"]
    # Every release is one document (a changed slug included), found under all its URLs.
    documents = {row["post_id"]: row["id"] for row in db.query("SELECT id, post_id FROM documents")}
    assert sorted(documents) == sorted(str(p.post_id) for p in site.releases)
    for release in site.releases:
        urls = {row["url"] for row in db.query("SELECT url FROM versions WHERE document_id = ?",
                                               [documents[str(release.post_id)]])}
        assert urls == set(release.urls)
        known = {row["url"] for row in db.query("SELECT url FROM document_urls WHERE document_id = ?",
                                                [documents[str(release.post_id)]])}
        assert known == set(release.urls)           # `resolve` and `history URL` find it by each
        kinds = Counter(row["kind"] for row in db.query(
            "SELECT kind FROM changes WHERE document_id = ?", [documents[str(release.post_id)]]))
        assert (kinds["edited"], kinds["reverted"], kinds["moved"]) == (
            release.edits, release.reverts, len(release.urls) - 1), release
    # Nothing else became a document, and nothing was fetched twice but what a kill cut off.
    assert not {row["url"] for row in db.query("SELECT url FROM documents")} & set(site.other_urls)
    repeated = sum(n - 1 for n in mementos(archive).values())
    index = Counter(path for path in archive.log if "matchType=prefix" in path)
    assert repeated <= kills and sum(n - 1 for n in index.values()) <= kills
    # Each page of the index asked for once but the one a kill cut off; pages of 5, resumed by key.
    assert len(index) == db.execute("SELECT pages FROM discovery_queries").fetchone()[0] > 4
    # A run after the end starts a new discovery: it lists again and fetches nothing.
    before = sum(mementos(archive).values())
    again = discover(config)
    assert again.returncode == 0, again.stderr
    urls = sum(len(release.urls) for release in site.releases)
    assert f"{urls} release URLs found, 0 backfilled by earlier runs; every release backfilled" in again.stdout
    assert sum(mementos(archive).values()) == before


def test_report_matches_the_planted_statistics(planted):
    site, archive, config = planted
    done = discover(config)
    assert done.returncode == 0, done.stderr
    urls = sum(len(release.urls) for release in site.releases)
    assert f"{urls} release URLs found" in done.stdout and "0 fetch errors" in done.stdout
    shown = json.loads(forked("report", "--config", str(config), "--json", check=True).stdout)
    got = [{key: row[key] for key in ("year", "releases", "edited", "edits", "reverts", "silent_share")} for row in shown]
    assert got == site.expected()
    assert all(row["from_archive_share"] in (1.0, None) for row in shown)


def test_discovery_needs_a_source_and_a_profile_that_says_what_a_release_is(planted, tmp_path):
    site, archive, config = planted
    assert forked("backfill", "--config", str(config), "--discover").returncode == 2
    (tmp_path / "generic").mkdir()
    other = with_wayback(write_config(tmp_path / "generic", BASE, profile="generic"), "http://127.0.0.1:9")
    refused = discover(other)
    assert refused.returncode == 2 and "has no [discover] table" in refused.stderr


def test_from_and_to_bound_the_index_and_every_release_s_captures(planted):
    site, archive, config = planted
    done = discover(config, "--from", "2020-01-01", "--to", "2022-12-31")
    assert done.returncode == 0, done.stderr
    index = [path for path in archive.log if "matchType=prefix" in path]
    assert index and all("from=20200101000000" in path and "to=20221231000000" in path for path in index)
    fetched = [path.split("/")[2].removesuffix("id_") for path in mementos(archive)]
    assert fetched and all("20200101000000" <= stamp <= "20221231235959" for stamp in fetched)
    # Releases captured only outside the years asked for are not found; the others are.
    inside = {c.url for c in site.captures if "20200101" <= c.timestamp[:8] <= "20221231" and c.status == 200}
    db = open_db(config.parent / "archive.db")
    found = {row["url"] for row in db.query("SELECT url FROM discovery_urls")}
    assert found == {url for release in site.releases for url in release.urls if url in inside}


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_run_stopped_on_request_finishes_its_memento_and_the_next_fetches_nothing_twice(planted, tmp_path, number):
    site, archive, config = planted
    archive.latency_s = 0.05        # a run still going when it is asked to stop
    args = ["backfill", "--config", str(config), "--discover", "--source", "replica"]
    process = fork.start(args, cwd=str(ROOT), env={}, out=str(tmp_path / "out"), err=str(tmp_path / "err"))
    deadline = time.monotonic() + 30
    while sum(mementos(archive).values()) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, number)
    process.join(30)
    assert process.exitcode == 1
    assert "stopped on request: the next run goes on" in (tmp_path / "err").read_text()
    archive.latency_s = 0
    done = discover(config)
    assert done.returncode == 0, done.stderr
    assert "every release backfilled" in done.stdout
    assert max(mementos(archive).values()) == 1
    db = open_db(config.parent / "archive.db")
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == len(site.releases)
    assert Counter(row["kind"] for row in db.query("SELECT kind FROM changes"))["edited"] == sum(
        release.edits for release in site.releases)


def test_the_index_s_refusals_are_waited_out_or_left_for_the_next_run(planted):
    """A 429 on an index page is waited out (its Retry-After) and the same page asked again; a
    503 the package's retries do not get past ends the listing for this run (exit 1), and the
    next run asks again from that page, not from the first."""
    site, archive, config = planted
    archive.rate_limit(1, retry_after="1", only_if="resumeKey=")
    archive.refuse(1, 503, only_if="resumeKey=")
    # The first page is read, the second refused twice: waited out, then failed for this run.
    first = forked("backfill", "--config", str(config), "--discover", "--source", "replica", "--page-lines", "5")
    assert first.returncode == 1 and "the archive's index failed" in first.stderr
    assert "1 waits at the archive's rate limit" in first.stdout
    index = [path for path in archive.log if "matchType=prefix" in path]
    assert len(index) == 3 and index[1] == index[2] and "resumeKey=" in index[1]
    done = forked("backfill", "--config", str(config), "--discover", "--source", "replica", "--page-lines", "5")
    assert done.returncode == 0, done.stderr
    again = [path for path in archive.log if "matchType=prefix" in path][3]
    assert again == index[1]        # on from the page it stopped at
    db = open_db(config.parent / "archive.db")
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == len(site.releases)


def test_plan_lists_the_index_and_a_sample_and_fetches_no_memento(planted):
    site, archive, config = planted
    shown = discover(config, "--plan")
    assert shown.returncode == 0, shown.stderr
    urls = sum(len(release.urls) for release in site.releases)
    assert f"replica: {urls} release URLs found, {urls} to backfill; {urls} sampled:" in shown.stdout
    # Every URL sampled: one search each, and every distinct capture a memento, at 30 and 600 a minute.
    assert f"at the Wayback Machine's limits (30/min, 600/min): {urls} searches + " in shown.stdout
    assert not mementos(archive)
    index = [path for path in archive.log if "matchType=prefix" in path]
    done = discover(config)
    assert done.returncode == 0 and "every release backfilled" in done.stdout
    assert [path for path in archive.log if "matchType=prefix" in path] == index     # not listed again
    planned = int(shown.stdout.split(" searches + ")[1].split(" mementos")[0])
    assert planned == sum(mementos(archive).values())
