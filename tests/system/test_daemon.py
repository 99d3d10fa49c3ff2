"""`remarkwatch run` as a real process: passes on schedule, SIGTERM mid-pass, restart, status."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, db_at, run_cli, write_config

pytestmark = pytest.mark.slow


def start_daemon(config_path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "remarkwatch", "run", "--config", str(config_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def runs(db_path) -> list[tuple]:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT id, outcome, pages FROM runs ORDER BY id").fetchall()
    except sqlite3.Error:
        return []


def wait_for(predicate, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_daemon_stops_cleanly_mid_pass_and_resumes(tmp_path, server, site):
    site.latency_s = 0.1          # a pass takes a few seconds: long enough to stop it halfway
    site.validators = False
    config_path = write_config(tmp_path, server.base_url, extract_workers="auto")
    config_path.write_text(config_path.read_text().replace('schedule = "1s"', 'schedule = "3s"')
                           .replace("concurrency = 4", "concurrency = 1"))
    db_path = tmp_path / "archive.db"
    daemon = start_daemon(config_path)
    wait_for(lambda: len(runs(db_path)) >= 2 and runs(db_path)[-1][1] == "running" and runs(db_path)[0][1] == "ok")
    wait_for(lambda: (runs(db_path)[-1][2] or 0) >= 1 or runs(db_path)[-1][1] != "running", 30)
    daemon.send_signal(signal.SIGTERM)
    output, _ = daemon.communicate(timeout=120)
    assert daemon.returncode == 0, output
    assert "SIGTERM received; stopping" in output and "stopped cleanly" in output
    assert "run 1 (ok): 34 pages fetched, 34 new" in output
    outcomes = [r[1] for r in runs(db_path)]
    assert outcomes[0] == "ok" and outcomes[-1] in ("interrupted", "ok") and "running" not in outcomes
    db = db_at(config_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stopped = run_cli("status", "--config", config_path, check=True).stdout
    assert "daemon:   not running (last stopped" in stopped

    site.edit("department-press-briefing-july-27-2021", "Eritrean forces", "Eritrean refugees")
    daemon = start_daemon(config_path)
    wait_for(lambda: db.execute("SELECT COUNT(*) FROM changes WHERE kind = 'edited'").fetchone()[0] == 1)
    live = run_cli("status", "--config", config_path, check=True).stdout
    assert "daemon:   running, pid" in live
    daemon.send_signal(signal.SIGINT)
    output, _ = daemon.communicate(timeout=120)
    assert daemon.returncode == 0 and "stopped cleanly" in output
    # No version was lost or written twice across the stop and the restart.
    per_document = db.execute("SELECT document_id, COUNT(*) FROM versions GROUP BY document_id").fetchall()
    assert len(per_document) == 34
    assert sorted(n for _, n in per_document) == [1] * 33 + [2]
    assert db.execute("SELECT COUNT(*) FROM runs WHERE outcome = 'running'").fetchone()[0] == 0
