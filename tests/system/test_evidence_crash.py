"""kill -9 of a pass while its Save Page Now round waits on the archive loses no request: every
edit that asked for a capture still has its request, and the next round saves each exactly once."""
from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.spn import SaveReplica, SaveService
from remarkwatch.storage.db import integrity_check
from tests import forked
from tests.conftest import ROOT, crawl, db_at, invoke

pytestmark = pytest.mark.slow
ENV = {"REMARKWATCH_SPN_ACCESS": "access-key", "REMARKWATCH_SPN_SECRET": "secret-key"}
EDITS = 8


def _submitted(db_path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM spn_requests WHERE state = 'submitted'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_during_the_queue_loses_no_request(config_path, site):
    service = SaveService(pending_polls=1000)      # jobs stay "capturing" until the kill
    with SaveReplica(service) as spn:
        config_path.write_text(config_path.read_text() + (
            f'\n[save_page_now]\nenabled = true\nendpoint = "{spn.url}"\npoll_s = 0.05\nmin_interval_s = 0\n'
            f'max_active = 3\nbudget_s = 60\n'))
        crawl(config_path, env=ENV)                                   # the baseline asks for nothing
        for release in demo_releases()[:EDITS]:
            first = " ".join(release.paragraphs[0].split()[:3])
            site.edit(release.slug, first, first + " indeed")
        proc = forked.start(["crawl", "--full", "--config", str(config_path)], cwd=str(ROOT),
                            env={**os.environ, **ENV}, out=os.devnull, err=os.devnull)
        db_path = config_path.parent / "archive.db"
        deadline = time.monotonic() + 60
        while _submitted(db_path) < 3 and proc.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=10)
        assert proc.exitcode == -signal.SIGKILL, "the pass ended before the kill: nothing was tested"
        db = db_at(config_path)
        assert integrity_check(db) == ["ok"]
        asked = db.execute("SELECT COUNT(*) FROM changes WHERE kind = 'edited'").fetchone()[0]
        requests = db.execute("SELECT COUNT(*) FROM spn_requests").fetchone()[0]
        assert asked == requests == EDITS
        assert len(service.submissions) == 3, "max_active held while the jobs ran"
        service.pending_polls = 0
        sent = invoke("spn", "send", "--config", config_path, env=ENV, check=True)
        assert f"{EDITS} saved" in sent.stdout
    states = db.execute("SELECT state, COUNT(*) FROM spn_requests GROUP BY state").fetchall()
    assert states == [("saved", EDITS)]
    assert len(service.submissions) == EDITS, "the jobs submitted before the kill were polled, not sent again"
