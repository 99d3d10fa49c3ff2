"""Pages judged in worker processes (monitor.pool) give the very archive the in-process path gives,
and a worker that dies costs one page, never the crawl."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import zlib

import pytest

from remarkwatch.crawler import items
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.parallel.pool import ExtractPool
from remarkwatch.parallel.prepare import judge_and_prepare
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Response, Site, article_2019
from tests.conftest import crawl, rows_so_far, write_config

ROWS = {
    "versions": "SELECT d.key, v.seq, v.title, v.doc_type, v.speakers, v.audience, v.location, v.published, "
                "v.published_text, v.modified_time, v.tags, v.body_html, v.body_text, v.links, v.media, "
                "v.content_hash, v.raw_hash, v.extractor, v.url FROM versions v JOIN documents d ON d.id = v.document_id",
    "turns": "SELECT d.key, v.seq, t.seq, t.speaker, t.first_para, t.last_para, t.text FROM turns t "
             "JOIN versions v ON v.id = t.version_id JOIN documents d ON d.id = v.document_id",
    "changes": "SELECT d.key, c.kind, c.changed_fields, c.field_diffs, c.diff, c.summary, c.classes, c.significance, "
               "c.silent, c.edits, c.sides FROM changes c JOIN documents d ON d.id = c.document_id",
    "captures": "SELECT c.url, c.status, c.outcome, c.error, c.blob_hash, c.content_type FROM captures c",
    "blobs": "SELECT hash, size, content FROM blobs",
}


def archive_rows(db_path) -> dict[str, list]:
    with sqlite3.connect(db_path) as conn:
        out = {name: sorted(map(repr, conn.execute(sql).fetchall())) for name, sql in ROWS.items() if name != "blobs"}
        out["blobs"] = sorted((h, n, zlib.decompress(c)) for h, n, c in conn.execute(ROWS["blobs"]))
    return out


@pytest.fixture
def demo_site():
    """The demo's 34 releases on loopback, (site, server): the same-archive test's six crawls and
    the kill test's cost half what they did at 74 (every path of the helpers is taken on the first
    pages)."""
    site = Site(demo_releases(), per_page=10)
    with ReplicaServer(site) as server:
        yield site, server


def test_worker_processes_record_the_same_archive_as_one_process(tmp_path, demo_site):
    """Three archives of the same site: judged in process; by one helper that judges and writes;
    by two extraction helpers and a writer helper (from the first page). Every version, turn,
    change, capture and blob is the same, through a first pass, an edit, a page whose bytes change
    only in its chrome (noise) and a removed page."""
    site, server = demo_site
    configs = {}
    for workers in (0, 1, 2):
        directory = tmp_path / f"workers{workers}"
        directory.mkdir()
        path = write_config(directory, server.base_url, extract_workers=workers)
        configs[workers] = path
    outputs = {w: crawl(path).stdout for w, path in configs.items()}
    assert "worker process" not in outputs[0] and "in 1 worker process)" in outputs[1] and "in 2 worker processes)" in outputs[2]
    releases = list(site.releases.values())
    edited, noisy, gone = releases[0], releases[1], releases[2]
    site.edit(edited.slug, edited.paragraphs[0].split()[0], "Indeed, " + edited.paragraphs[0].split()[0])
    site.patch(noisy.path, "Here's how you know", "Here is how you know")      # chrome only: no edit
    site.override(gone.path, Response(404, b"<html><head><title>Page Not Found</title></head></html>"))
    try:
        for path in configs.values():
            out = crawl(path).stdout
            assert "1 edited" in out, out
    finally:
        site.unpatch()
        site.overrides.clear()
    first, *others = (archive_rows(path.parent / "archive.db") for path in configs.values())
    for other in others:
        for name in ROWS:
            assert first[name] == other[name], name
    assert any("edited" in row for row in first["changes"])


def die_on_crash(capture, *args):
    """A job that kills its worker process on a page holding CRASH (as a parser crash would)."""
    if b"CRASH" in capture.body:
        os._exit(3)
    return judge_and_prepare(capture, *args)


def test_a_worker_that_dies_costs_one_page():
    profile = get_profile("state.gov")
    release = demo_releases()[0]
    page = article_2019(release, "http://127.0.0.1:9").encode()

    def capture(body: bytes) -> items.Capture:
        return items.Capture(source="s", url="http://127.0.0.1:9" + release.path, final_url="http://127.0.0.1:9" + release.path,
                             status=200, fetched_at="2026-11-27T00:00:00+00:00", outcome=items.OK, body=body,
                             content_type="text/html; charset=utf-8", extractor="state.gov/2")

    async def run():
        pool = ExtractPool(1, job=die_on_crash)
        how = dict(text=lambda: page.decode(), profile=profile, fallback=None, is_landing=False, accepts_json=False)
        try:
            before = await pool.judge(capture(page), **how)
            crashed = await pool.judge(capture(page.replace(b"</body>", b"CRASH</body>")), **how)
            after = await pool.judge(capture(page), **how)
        finally:
            pool.shutdown()
        return before, crashed, after

    before, crashed, after = asyncio.run(run())
    assert before.outcome == items.OK and before.body == page and before.prepared.turns
    assert crashed.outcome == items.EXTRACT_ERROR and "worker died" in crashed.error and crashed.fields is None
    assert after.outcome == items.OK and after.fields == before.fields      # a new pool took over
    assert after.prepared.blob_hash == before.prepared.blob_hash and zlib.decompress(after.prepared.blob) == page


def write_or_die(capture, *args):
    """The writer helper's job, killing its process as it judges a page holding CRASH (a parser
    crash)."""
    from remarkwatch.parallel import writer

    if capture.judge_later is not None and b"CRASH" in capture.body:
        os._exit(3)
    return writer.write(capture, *args)


def test_a_helper_that_judges_and_writes_dies_on_one_page_and_the_pages_behind_it_are_written(tmp_path):
    """One helper judges and writes: it dies on a page; that page is recorded as extract_error by
    the helper that takes over, and the pages queued behind it are sent again and written."""
    from remarkwatch.record.ingest import RemovalPolicy
    from remarkwatch.core.recheck import DEFAULT_RECHECK, Recheck
    from remarkwatch.record.record import Rules
    from remarkwatch.storage import runs, versions
    from remarkwatch.storage.db import open_db

    profile = get_profile("state.gov")
    releases = demo_releases()[:3]
    db = open_db(tmp_path / "archive.db")
    run_id = runs.start_run(db, ["s"], "2026-11-27T00:00:00+00:00")
    rules = Rules(site="state.gov", recheck=Recheck.parse(DEFAULT_RECHECK), policy=RemovalPolicy(), channels=())

    def capture(release, crash: bool) -> items.Capture:
        url = "http://127.0.0.1:9" + release.path
        body = article_2019(release, "http://127.0.0.1:9").encode()
        return items.Capture(source="s", url=url, final_url=url, status=200, fetched_at="2026-11-27T00:00:00+00:00",
                             outcome=items.OK, body=body.replace(b"</body>", b"CRASH</body>") if crash else body,
                             content_type="text/html; charset=utf-8", extractor="state.gov/2")

    async def run():
        pool = ExtractPool(1, db_path=str(tmp_path / "archive.db"), write_job=write_or_die)
        how = dict(profile=profile, fallback=None, is_landing=False, accepts_json=False)
        try:
            judged = [await pool.judge(capture(r, i == 1), text=lambda: "", **how) for i, r in enumerate(releases)]
            assert all(c.judge_later for c in judged) and pool.fused
            return await asyncio.gather(*(pool.record(c, rules, run_id, "2026-11-27T00:00:00+00:00") for c in judged))
        finally:
            pool.shutdown()

    results = asyncio.run(run())
    assert [(kind, error) for kind, error, _ in results] == [("new", None), ("failed", None), ("new", None)]
    died = results[1][2]
    assert died.outcome == items.EXTRACT_ERROR and "worker died" in died.error
    rows = db.execute("SELECT url, outcome, error FROM captures ORDER BY id").fetchall()
    assert [outcome for _, outcome, _ in rows] == ["ok", "extract_error", "ok"]
    assert db["versions"].count == 2 and db.execute("SELECT pages, new, failed FROM runs").fetchone() == (3, 2, 1)
    # Written since the last batch, they are in the search index once the pass flushes.
    assert versions.index_versions(db) == 2


def cmdline(pid: int) -> bytes:
    """A process's command line; empty when it has already exited (a race with listing /proc)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process trees from /proc")
def test_helpers_exit_when_the_crawl_is_killed_and_the_next_pass_resumes(tmp_path, demo_site):
    """With two extraction helpers a pass also writes from a writer helper. kill -9 of the
    crawling process (cron's timeout, the OOM killer) mid-pass leaves none waiting for work
    forever, the database sound, and the next pass finishes the job without a duplicate.
    SIGTERM reaches the helpers too, and they ignore it (the crawl stops them)."""
    import signal
    import subprocess
    import sys
    import time

    from remarkwatch.storage.db import integrity_check
    from tests.conftest import ROOT, db_at

    site, server = demo_site
    # One request at a time, 0.1 s each: a pass of the 34 releases outlasts the start of its helpers.
    site.latency_s = 0.1
    path = write_config(tmp_path, server.base_url, extract_workers=2)
    path.write_text(path.read_text(encoding="utf-8").replace("concurrency = 4", "concurrency = 1"), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(path)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        helpers: list[int] = []
        while (len(helpers) < 3 or rows_so_far(tmp_path / "archive.db", "versions") < 3) and time.monotonic() < deadline \
                and proc.poll() is None:
            time.sleep(0.05)
            helpers = [p for p in children_of(proc.pid) if b"spawn_main" in cmdline(p)]
        assert len(helpers) == 3, "not two extraction helpers and a writer helper"
        assert rows_so_far(tmp_path / "archive.db", "versions") < 30, "the pass ended before the kill"
        # From here a request waits a minute: what is left (3 pages at least, one in flight) cannot be
        # fetched before the kill below, however busy the machine (at 0.05 s it once finished first).
        site.latency_s = 60.0
        for pid in helpers:
            os.kill(pid, signal.SIGTERM)          # ignored: only the crawl stops its helpers
        time.sleep(0.3)
        assert all(alive(p) for p in helpers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(alive(p) for p in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in helpers), "a helper process outlived the killed crawl"
        assert db_at(path).execute("SELECT outcome FROM runs").fetchall() == [("running",)], "not killed mid-pass"
    finally:
        if proc.poll() is None:
            proc.kill()
        site.latency_s = 0
    db = db_at(path)
    assert integrity_check(db) == ["ok"]
    out = crawl(path).stdout
    assert integrity_check(db) == ["ok"] and "0 failed" in out
    total = len(site.releases)
    assert db["documents"].count == total and db["versions"].count == total and db["changes"].count == total
    assert db.execute("SELECT COUNT(*) FROM runs WHERE outcome = 'interrupted'").fetchone()[0] == 1
