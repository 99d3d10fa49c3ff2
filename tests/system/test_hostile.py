"""A hostile web and hostile endpoints (issue 15): deep trees, huge and compressed pages, slow
endpoints, redirects off the site, long Retry-After, control characters, races, read-only storage.

Each test fails on the code before the fix. Crawls are real (the CLI in a process of its own against the
replica on loopback); memory is measured on the crawl process itself.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib

import feedparser
import pytest

from remarkwatch.crawler.extract import extract_article
from remarkwatch.crawler.items import EXTRACT_ERROR, OK, TOO_LARGE, Capture, Extracted
from remarkwatch.crawler.profiles import load_profiles
from remarkwatch.core import detect
from remarkwatch.record.ingest import ingest
from remarkwatch.demo.replica.site import Response
from remarkwatch.core.sides import side_by_side
from remarkwatch.web.server import build_datasette
from remarkwatch.storage import changes, runs, schedule
from remarkwatch.storage.db import open_db
from tests import forked as forked_child
from tests.conftest import ROOT, crawl, db_at, forked, invoke, run_cli, write_config
from tests.receivers import SECRET

BRIEFING = "/department-press-briefing-july-27-2021/"
ENV = {"HOOK_SECRET": SECRET}


def articles(site) -> list[str]:
    return [path for path in site.releases if path != BRIEFING]


# --- 1. deep nesting ---------------------------------------------------------------------------

def test_a_thousand_nested_elements_extract(site):
    html = site.handle(BRIEFING, "https://www.state.gov").body.decode()
    deep = "<div>" * 1000 + "deep text" + "</div>" * 1000 + "<s>" * 900 + "struck" + "</s>" * 900
    page = html.replace('<div class="entry-content">', '<div class="entry-content">' + deep, 1)
    assert page != html
    result = extract_article(page, "https://www.state.gov" + BRIEFING, load_profiles()["state.gov"])
    assert result.outcome == OK and "deep text" in result.fields.body_text and "struck" in result.fields.body_text


def test_any_extraction_failure_is_a_recorded_outcome(tmp_path, monkeypatch):
    from remarkwatch.crawler import extract

    def explode(*args):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(extract, "_extract_article", explode)
    result = extract_article("<html></html>", "https://www.state.gov/x/", load_profiles()["state.gov"])
    assert result.outcome == EXTRACT_ERROR and "RecursionError" in result.problem
    db = open_db(tmp_path / "a.db")
    run = runs.start_run(db, ["s"], "2026-11-27T10:00:00+00:00")
    kind = ingest(db, Capture(source="s", url="https://www.state.gov/x/", final_url="https://www.state.gov/x/",
                              status=200, fetched_at="t", outcome=result.outcome, error=result.problem),
                  site="state.gov", run_id=run, now="2026-11-27T10:00:00+00:00")
    assert kind == "failed"
    assert next(db.query("SELECT outcome, error FROM captures"))["outcome"] == EXTRACT_ERROR


# --- 2. bounded memory --------------------------------------------------------------------------

def gzip_bomb(expanded: int) -> bytes:
    """`expanded` bytes of zeros as gzip members of 16 MiB each, one after another (a gzip file may
    hold several, and readers join them): one member packed and repeated, instead of 3 CPU-seconds
    packing a gibibyte. Run-length matching packs zeros as tightly as level 6."""
    chunk = 1 << 24
    packer = zlib.compressobj(1, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
    member = packer.compress(b"\0" * chunk) + packer.flush()
    return member * (expanded // chunk)


def peak_rss_mb(*args, env=None) -> tuple[float, subprocess.CompletedProcess]:
    """Run `python -m remarkwatch ARGS` under a parent that reports its child's peak RSS."""
    probe = ("import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode, r.stdout, r.stderr]))")
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "remarkwatch", *map(str, args)],
                          cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=180)
    kb, code, out, err = json.loads(done.stdout)
    return kb / 1024, subprocess.CompletedProcess(args, code, out, err)


@pytest.mark.slow
def test_gzip_bomb_and_huge_page_are_too_large_and_memory_stays_flat(tmp_path, server, site):
    bomb, huge = articles(site)[:2]
    site.override(bomb, Response(200, gzip_bomb(1 << 30), headers=(("Content-Encoding", "gzip"),)))
    site.override(huge, Response(200, b"<html><body>" + b"<p>words words words</p>" * (50 * 1024 * 1024 // 24)))
    config_path = write_config(tmp_path, server.base_url)
    rss, result = peak_rss_mb("crawl", "--config", config_path)
    assert result.returncode == 0, result.stderr
    assert rss < 250, f"peak RSS {rss:.0f} MB"
    db = db_at(config_path)
    outcomes = dict(db.execute("SELECT url, outcome FROM captures WHERE outcome != 'ok'").fetchall())
    assert {url.replace(server.base_url, ""): o for url, o in outcomes.items()} == {bomb: TOO_LARGE, huge: TOO_LARGE}
    assert "32 new" in result.stdout and (config_path.parent / "archive.db").stat().st_size < 20 * 1024 * 1024
    error = db.execute("SELECT error FROM captures WHERE outcome = 'too_large' LIMIT 1").fetchone()[0]
    assert "max_page_mb" in error
    # `check` reads no more than the limit either, and says so in one line.
    rss, checked = peak_rss_mb("check", server.base_url + bomb, "--profile", "state.gov", "--config", config_path)
    assert checked.returncode == 1 and rss < 250 and "larger than" in checked.stderr
    assert "Traceback" not in checked.stderr


# --- 3. slow endpoints ----------------------------------------------------------------------------

class DripServer:
    """Accepts connections and sends `greeting` one byte every `every` seconds, forever: a slow
    HTTP status line for a webhook, a slow 220 banner for SMTP."""

    def __init__(self, greeting: bytes, every: float = 0.3):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.greeting, self.every, self.stop = greeting, every, threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            for i in range(10_000):
                if self.stop.is_set():
                    return
                try:
                    conn.sendall(self.greeting[i % len(self.greeting):i % len(self.greeting) + 1])
                except OSError:
                    return
                time.sleep(self.every)

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["webhook", "email"])
def test_a_dripping_endpoint_is_cut_at_the_deadline_and_never_holds_the_pass_lock(tmp_path, server, kind):
    drip = DripServer(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 5000 if kind == "webhook" else b"220-" + b"a" * 5000)
    try:
        channel = (f'url = "http://127.0.0.1:{drip.port}/hook"\nsecret_env = "HOOK_SECRET"' if kind == "webhook" else
                   f'smtp_host = "127.0.0.1"\nsmtp_port = {drip.port}\nsecurity = "none"\nfrom = "rw@example.org"\nto = ["desk@example.org"]')
        config_path = write_config(tmp_path, server.base_url)
        config_path.write_text(config_path.read_text() + f'\n[[alerts]]\nname = "slow"\nkind = "{kind}"\n{channel}\n'
                               'timeout_s = 1\ndeadline_s = 3\nkinds = ["source-failing"]\n'
                               'min_significance = 0\n')
        db = open_db(config_path.parent / "archive.db")
        run = runs.start_run(db, ["replica"], "2026-11-27T10:00:00+00:00")
        from remarkwatch.record.health import record_source_pass
        from remarkwatch.config import load_config
        record_source_pass(db, "replica", failing=True, error="down", run_id=run, now="2026-11-27T10:00:00+00:00",
                           channels=load_config(config_path).alerts, after=1)
        started = time.monotonic()
        sent = run_cli("alerts", "send", "--config", config_path, env=ENV, timeout=60)
        assert time.monotonic() - started < 15, "delivery was not bounded by its deadline"
        assert "0 delivered, 1 failed (will retry)" in sent.stdout and "delivery deadline" in sent.stderr
        assert schedule.lock_holder(db, "pass") is None and schedule.lock_holder(db, "alerts") is None
    finally:
        drip.close()


# --- 4. quadratic diff ---------------------------------------------------------------------------

PARA = "The Secretary met the Foreign Minister today to discuss regional security and humanitarian aid."


@pytest.mark.timeout(30)    # before the fix this took minutes: a hang guard, not a stopwatch
@pytest.mark.parametrize("spread", [False, True], ids=["one-word", "spread-edits"])
def test_a_huge_repeated_page_diffs_in_bounded_work(spread):
    count = 50_000                       # ~5 MB: the default page limit
    old = [PARA] * count
    new = list(old)
    for i in (range(0, count, 97) if spread else [count // 2]):
        new[i] = PARA.replace("security", "stability")
    change = detect.compare({"title": "t", "body_text": "\n\n".join(old)}, {"title": "t", "body_text": "\n\n".join(new)})
    assert change is not None and change.changed_fields == ["body"]
    if not spread:
        assert change.edits[0].describe().endswith("'security' -> 'stability'") and len(change.edits) == 1
    else:
        assert "more characters: too large a change to align word by word" in str(
            [s for r in side_by_side("\n\n".join(old), "\n\n".join(new)) for s in r.old])


def test_the_change_page_is_computed_once_when_the_change_is_written(tmp_path):
    db = open_db(tmp_path / "archive.db")
    base = "\n\n".join([PARA] * 20_000)

    def capture(body):
        return Capture(source="s", url="https://www.state.gov/b/", final_url="https://www.state.gov/b/", status=200,
                       fetched_at="t", outcome=OK, extractor="x",
                       fields=Extracted(title="Briefing", body_text=body, post_id="9", canonical_url="https://www.state.gov/b/"))
    ingest(db, capture(base), site="state.gov", run_id=None, now="2026-11-27T10:00:00+00:00")
    ingest(db, capture(base.replace("security", "stability", 1)), site="state.gov", run_id=None,
           now="2026-11-27T11:00:00+00:00")
    change_id = db.execute("SELECT id FROM changes WHERE kind = 'edited'").fetchone()[0]
    stored = json.loads(changes.change_sides(db, change_id))
    assert [s for row in stored for s in row["inline"] if s[1] != "same"] == [["security", "del"], ["stability", "ins"]]
    db.close()
    page = asyncio.run(build_datasette(tmp_path / "archive.db").client.get(f"/-/change/{change_id}"))
    assert page.status_code == 200 and "stability" in page.text


# --- 5. SSRF through a redirecting start URL -----------------------------------------------------

@pytest.mark.slow
def test_a_start_url_redirecting_off_site_is_not_followed(tmp_path, server, site):
    site.override("/press-releases/", Response(302, b"", headers=(
        ("Location", f"http://localhost:{server.port}/admin/secrets/"),)))
    config_path = write_config(tmp_path, server.base_url)
    result = forked("crawl", "--config", config_path)
    assert "/admin/" not in site.hits and "outside allowed_domains" in result.stderr
    assert result.returncode == 3
    urls = [r[0] for r in db_at(config_path).execute("SELECT url FROM captures").fetchall()]
    assert not any("localhost" in u for u in urls)


# --- 6 and 14. an interrupted baseline alerts nothing; a killed run keeps its counts ------------

@pytest.mark.slow
def test_a_killed_baseline_stays_a_baseline_and_keeps_its_counts(tmp_path, server, site):
    from tests.receivers import WebhookReceiver
    from remarkwatch.demo.replica.content import DEMO_NEW

    site.latency_s = 0.05
    with WebhookReceiver() as receiver:
        config_path = write_config(tmp_path, server.base_url, extract_workers="auto")
        config_path.write_text(config_path.read_text() + f'\n[[alerts]]\nname = "hook"\nkind = "webhook"\n'
                               f'url = "{receiver.url}"\nsecret_env = "HOOK_SECRET"\n')
        proc = forked_child.start(["crawl", "--config", str(config_path)], cwd=str(ROOT), env={**os.environ, **ENV},
                                  out=os.devnull, err=os.devnull)
        db_path = config_path.parent / "archive.db"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.exitcode is None:
            if db_path.exists() and open_db(db_path, readonly=True).execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= 6:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=10)
        db = db_at(config_path)
        killed = next(db.query("SELECT * FROM runs ORDER BY id LIMIT 1"))
        documents = db["documents"].count
        assert 6 <= documents < 34, "the kill came too late to test anything"
        assert killed["pages"] >= 6 and killed["new"] >= 6        # counted as the pass went
        site.latency_s = 0
        crawl(config_path, "--now", env=ENV)
        assert receiver.received == [], "the rest of an interrupted baseline was alerted"
        site.publish(DEMO_NEW)
        crawl(config_path, "--now", env=ENV)
        assert [r.json["title"] for r in receiver.received] == [DEMO_NEW.title]


# --- 7 and 13. configuration that must be refused, or simply accepted ---------------------------

SOURCE = '[[sources]]\nname = "s"\nprofile = "state.gov"\nstart_urls = ["https://www.state.gov/press-releases/"]\n'
HOOK = '[[alerts]]\nname = "h"\nkind = "webhook"\nsecret_env = "S"\n'


@pytest.mark.parametrize("text, message", [
    (SOURCE + '[sources.selectors]\nbody = "div.entry-content["\n', "selectors.body: 'div.entry-content[' is not a valid CSS selector"),
    (SOURCE + '[sources.selectors]\ntitle = ["h1::text x"]\n', "is not a valid CSS selector"),
    (SOURCE + HOOK + 'url = "file:///etc/passwd"\n', "is not an http(s) URL"),
    (SOURCE + HOOK + 'url = "gopher://example.org/"\n', "is not an http(s) URL"),
    (SOURCE.replace('start_urls', 'delay_s = inf\nstart_urls'), "expected a finite number"),
    (SOURCE + '[[alerts]]\nname = "m"\nkind = "email"\nsmtp_host = "h"\nfrom = "a@b.org"\nto = ["c@d.org"]\n'
     'ca_file = "/nonexistent/ca.pem"\n', "ca_file: /nonexistent/ca.pem is not a readable file"),
    ('db = "/proc/self/remarkwatch.db"\n' + SOURCE, "is under a system folder"),
    (SOURCE + "max_page_mb = 0\n", "max_page_mb"),
    ("extract_workers = -1\n" + SOURCE, "extract_workers: \"auto\" or a number from 0 to 64"),
    ('extract_workers = "many"\n' + SOURCE, "extract_workers: \"auto\" or a number from 0 to 64"),
], ids=["bad-selector", "pseudo-element", "file-url", "gopher-url", "inf-delay", "missing-ca", "db-in-proc", "page-size", "workers-negative",
        "workers-word"])
def test_check_config_refuses(tmp_path, text, message):
    path = tmp_path / "remarkwatch.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke("check-config", "--config", path)
    assert result.returncode == 2 and message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_config_encodings(tmp_path):
    path = tmp_path / "remarkwatch.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SOURCE.encode())              # a byte-order mark: accepted
    assert invoke("check-config", "--config", path).returncode == 0
    path.write_bytes(SOURCE.replace("s\"\nprofile", "caf\xe9\"\nprofile").encode("latin-1"))
    result = invoke("check-config", "--config", path)
    assert result.returncode == 2 and "not UTF-8" in result.stderr


# --- 8 and 10. control characters from pages -----------------------------------------------------

def test_control_characters_never_break_a_feed_or_reach_the_terminal(tmp_path):
    db = open_db(tmp_path / "archive.db")
    url = "https://www.state.gov/osc/\x1b]52;c;cHduZWQ=\x07"
    fields = Extracted(title="Remarks \x1b[31mred\x1b[0m \x00", body_text="MR PRICE: Hello.", post_id="5",
                       canonical_url=None)
    ingest(db, Capture(source="s", url=url, final_url=url, status=200, fetched_at="t", outcome=OK, fields=fields,
                       extractor="x"), site="state.gov", run_id=None, now="2026-11-27T10:00:00+00:00")
    db.execute("UPDATE documents SET key = ?", ["url:" + url])     # a key built from a hostile canonical URL
    db.close()
    datasette = build_datasette(tmp_path / "archive.db")
    for path in ("/archive/feed.atom", "/archive/feed_by_kind.atom?kind=new", "/archive/feed_by_source.atom?source=s"):
        response = asyncio.run(datasette.client.get(path))
        assert response.status_code == 200, response.text[:300]
        parsed = feedparser.parse(response.text)
        assert not parsed.bozo and parsed.entries[0].title.startswith("new: Remarks [31mred[0m")
    config_path = tmp_path / "remarkwatch.toml"
    config_path.write_text('db = "archive.db"\n' + SOURCE)
    for command in (["history", "1"], ["changes"], ["diff", "1"]):
        shown = invoke(*command, "--config", config_path, check=True).stdout
        assert "\x1b" not in shown and "\x07" not in shown and "\\x1b" in shown
