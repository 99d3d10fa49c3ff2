"""Hostile input, second file (issue 15's and issue 27's findings 9, 11, 12 and 15, split from
test_hostile.py so the two run side by side): Retry-After and delay_s waits that SIGTERM ends,
secrets kept out of every log, sixty simultaneous first starts, archives on read-only storage.
Each test fails on the code before the fix."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from remarkwatch.crawler.items import OK, Capture, Extracted
from remarkwatch.record.ingest import ingest
from remarkwatch.demo.replica.site import Response
from remarkwatch.storage import schedule
from remarkwatch.storage.db import integrity_check, open_db
from tests.conftest import ROOT, crawl, db_at, invoke, write_config
from tests.receivers import SECRET

BRIEFING = "/department-press-briefing-july-27-2021/"
ENV = {"HOOK_SECRET": SECRET}
SOURCE = '[[sources]]\nname = "s"\nprofile = "state.gov"\nstart_urls = ["https://www.state.gov/press-releases/"]\n'


# --- 9. Retry-After ------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_huge_retry_after_is_not_waited_out(tmp_path, server, site):
    site.override(BRIEFING, Response(429, b"slow down", headers=(("Retry-After", "999999"),)))
    config_path = write_config(tmp_path, server.base_url)
    started = time.monotonic()
    result = crawl(config_path)
    assert time.monotonic() - started < 45 and "34 pages fetched" in result.stdout
    db = db_at(config_path)
    outcome = db.execute("SELECT outcome, error FROM captures WHERE url LIKE ?", [f"%{BRIEFING}"]).fetchone()
    assert outcome[0] == "blocked"
    # The host is left alone for the rest of the pass: what was fetched before the 429 is
    # recorded, every other page is recorded as left for the next pass, which fetches it.
    left = db.execute("SELECT COUNT(*) FROM captures WHERE error LIKE '%left for the next pass%'").fetchone()[0]
    assert db["documents"].count + left == 33 and db["documents"].count >= 1
    site.override(BRIEFING, None)
    crawl(config_path)
    assert db["documents"].count == 34


@pytest.mark.slow
def test_sigterm_ends_a_retry_after_wait_within_seconds(tmp_path, server, site):
    site.override(BRIEFING, Response(503, b"busy", headers=(("Retry-After", "50"),)))
    config_path = write_config(tmp_path, server.base_url)
    proc = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while site.hits.get(BRIEFING, 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2)                      # it is now waiting out the Retry-After
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 8, "SIGTERM did not end the wait"
    assert "(interrupted)" in out
    assert integrity_check(db_at(config_path)) == ["ok"]


@pytest.mark.slow
def test_sigterm_ends_a_wait_for_delay_s(tmp_path, server, site):
    """Issue 27, item 13: Scrapy's downloader holds each request back for the source's delay, and a
    stopping crawl waited every one of them out (455 s after SIGTERM with delay_s = 600)."""
    config_path = write_config(tmp_path, server.base_url)
    config_path.write_text(config_path.read_text().replace("delay_s = 0", "delay_s = 600"))
    proc = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while site.hits.get("/robots.txt", 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)                      # the listing now waits 600 s behind robots.txt
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "(interrupted)" in out and "Traceback" not in err, err
    assert integrity_check(db_at(config_path)) == ["ok"]


# --- 11. secrets never reach a log ---------------------------------------------------------------

@pytest.mark.slow
def test_secrets_are_redacted_from_every_log_record(tmp_path, server):
    from tests.receivers import WebhookReceiver

    token = "T0KEN" + "x" * 20
    with WebhookReceiver() as receiver:
        config_path = write_config(tmp_path, server.base_url)
        config_path.write_text(config_path.read_text()
                               + '\n[[alerts]]\nname = "chat"\nkind = "apprise"\nurl_env = "CHAT_URL"\n'
                               + '\n[[alerts]]\nname = "hook"\nkind = "webhook"\nurl_env = "HOOK_URL"\nsecret_env = "HOOK_SECRET"\n')
        env = {**ENV, "CHAT_URL": f"notaservice://{token}/{token}", "HOOK_URL": receiver.url + f"/{token}?k={token}"}
        for channel in ("chat", "hook"):
            for verbosity in ([], ["-vv"]):
                result = invoke(*verbosity, "test-alert", channel, "--config", config_path, env=env)
                assert token not in result.stdout + result.stderr, (channel, verbosity, result.stderr[-2000:])
        assert receiver.received, "the webhook test alert did not arrive"


# --- 12. simultaneous starts ---------------------------------------------------------------------

def _start(db_path: str, barrier, results) -> None:
    barrier.wait()
    try:
        db = open_db(db_path)
        holder = schedule.acquire_lock(db, "pass", "2026-11-27T10:00:00+00:00")
        results.put("held" if holder else "took")
    except Exception as exc:  # noqa: BLE001 - the assertion names it
        results.put(f"{type(exc).__name__}: {exc}")


def test_sixty_simultaneous_first_starts_neither_crash_nor_race_the_migrations(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(60), context.Queue()
    workers = [context.Process(target=_start, args=(str(tmp_path / "fresh.db"), barrier, results)) for _ in range(60)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(o in ("held", "took") for o in outcomes), [o for o in outcomes if o not in ("held", "took")]
    assert "took" in outcomes
    db = open_db(tmp_path / "fresh.db")
    assert integrity_check(db) == ["ok"]
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT name) FROM _sqlite_migrations").fetchone()[0] == \
        db.execute("SELECT COUNT(DISTINCT name) FROM _sqlite_migrations").fetchone()[0]


# --- 15. read-only storage -----------------------------------------------------------------------

def _read_only(folder) -> list[str] | None:
    """A command prefix that runs with `folder` on read-only storage (a read-only bind mount in a
    private mount namespace), or None where this machine cannot make one."""
    import shlex

    if shutil.which("unshare") is None or os.geteuid() != 0:
        return None
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))}"
                            f" && mount -o remount,bind,ro {shlex.quote(str(folder))} && ! touch {shlex.quote(str(folder))}/w"],
                           capture_output=True, timeout=30)
    if probe.returncode != 0:
        return None
    quoted = shlex.quote(str(folder))
    return ["unshare", "-m", "sh", "-c",
            f'mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} && exec "$0" "$@"']


def test_reading_commands_work_on_an_archive_on_read_only_storage(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    prefix = _read_only(folder)
    if prefix is None:
        pytest.skip("cannot make read-only storage here (needs root and unshare)")
    db = open_db(folder / "archive.db")
    ingest(db, Capture(source="s", url="https://www.state.gov/a/", final_url="https://www.state.gov/a/", status=200,
                       fetched_at="t", outcome=OK, extractor="x",
                       fields=Extracted(title="Readable", body_text="MR PRICE: Hello.", post_id="1")),
           site="state.gov", run_id=None, now="2026-11-27T10:00:00+00:00")
    db.execute("INSERT INTO runs (started_at, outcome) VALUES ('2026-11-27T10:00:00+00:00', 'ok')")
    db.close()                 # a clean close: no -wal or -shm file is left beside it
    (folder / "remarkwatch.toml").write_text('db = "archive.db"\n' + SOURCE)
    before = sorted(p.name for p in folder.iterdir())
    shown = {}
    for command in (["changes"], ["status"], ["history", "1"], ["export", "versions"], ["alerts"]):
        result = subprocess.run([*prefix, sys.executable, "-m", "remarkwatch", *command, "--config",
                                 str(folder / "remarkwatch.toml")], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "readonly" not in result.stderr, (command, result.stderr)
        shown[command[0]] = result.stdout
    assert "Readable" in shown["changes"] and "Readable" in shown["history"] and "Readable" in shown["export"]
    assert sorted(p.name for p in folder.iterdir()) == before      # nothing was written beside it


def test_reading_commands_never_create_an_archive(tmp_path):
    for command in (["status"], ["changes"], ["history", "1"], ["diff", "1"], ["alerts"], ["export", "changes"]):
        result = invoke(*command, cwd=tmp_path)
        assert result.returncode == 1 and "no archive at" in result.stderr and "config:" in result.stderr, command
    assert list(tmp_path.iterdir()) == []
