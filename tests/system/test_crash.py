"""kill -9 at any point of a pass leaves a sound database, and the next pass finishes the job."""
from __future__ import annotations

import os
import signal
import time

import pytest

from remarkwatch.storage.db import integrity_check
from tests import forked
from tests.conftest import ROOT, crawl, db_at, rows_so_far

pytestmark = pytest.mark.slow


def kill_after(config_path, captures: int) -> None:
    """SIGKILL a crawl (a process of its own, forked from one that has imported remarkwatch) once
    `captures` rows are written."""
    proc = forked.start(["crawl", "--full", "--config", str(config_path)], cwd=str(ROOT), env=dict(os.environ),
                        out=os.devnull, err=os.devnull)
    db_path = config_path.parent / "archive.db"
    deadline = time.monotonic() + 60
    while rows_so_far(db_path, "captures") < captures and proc.exitcode is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=10)


def test_kill_9_mid_pass_then_resume(config_path, site):
    site.validators = False   # every pass re-fetches whole pages: the kills land on writes
    site.latency_s = 0.05     # slow enough that each kill lands before the pass gets far
    already = 0
    for offset in (1, 5, 9, 13):  # each pass restarts from page one: kill it at a new depth
        # New bytes on every page (a comment), so no page is skipped as the same bytes as last
        # time: every fetch of the pass is written, and the kill lands on writes.
        site.redesign("</body>", f"<!-- pass {offset} --></body>")
        kill_after(config_path, already + offset)
        already = rows_so_far(config_path.parent / "archive.db", "captures")
    db = db_at(config_path)
    assert integrity_check(db) == ["ok"]
    assert db["documents"].count < 34, "the kills came too late to test anything"
    site.latency_s = 0
    result = crawl(config_path, "--full")
    assert "0 failed" in result.stdout
    assert integrity_check(db) == ["ok"]
    assert db["documents"].count == 34
    per_doc = db.execute("SELECT document_id, COUNT(*) FROM versions GROUP BY document_id HAVING COUNT(*) > 1").fetchall()
    assert per_doc == [], "duplicate versions after a crash"
    assert db["changes"].count == 34
    assert db.execute("SELECT COUNT(*) FROM changes GROUP BY to_version_id HAVING COUNT(*) > 1").fetchall() == []
    outcomes = [r["outcome"] for r in db["runs"].rows]
    assert outcomes[-1] == "ok" and set(outcomes[:-1]) == {"interrupted"}
    assert "34 unchanged" in crawl(config_path, "--full").stdout
