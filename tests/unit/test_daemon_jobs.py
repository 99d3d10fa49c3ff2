"""The daemon's scheduling decisions, in process: one pass job per source on its schedule (an
interval or a cron line), the alert sender only when there are channels, all passes and the sender
on one worker so they never overlap, and a stop that leaves the heartbeat saying so. The scheduler
runs for real; the passes themselves (child processes) are tests/system/test_daemon.py's."""
from __future__ import annotations

import signal

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from remarkwatch.passes.daemon import HEARTBEAT_S, SENDER_S, Daemon
from tests.unit.conftest import STATE, state_config

HOOK = {"name": "desk", "kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret_env": "RW_HOOK_SECRET"}


def source(name: str, schedule: str) -> dict:
    return {"name": name, "profile": "state.gov", "start_urls": [STATE + "/"], "schedule": schedule}


def run_until_stopped(daemon: Daemon) -> tuple[int, dict]:
    """Start the daemon and stop it as SIGTERM would, from one of its own jobs, once it has
    scheduled everything: (exit code, job id -> (trigger, executor)). The jobs are read and all
    but the heartbeat taken off before the scheduler starts, so no pass (a child process) runs."""
    jobs = {}
    said = daemon.say

    def say(message: str) -> None:
        if message.endswith("SIGTERM or Ctrl-C stops it"):
            for job in daemon.scheduler.get_jobs():
                jobs[job.id] = (job.trigger, job.executor)
                if job.id != "heartbeat":
                    job.remove()
            daemon.scheduler.add_job(daemon._stop, args=[signal.SIGTERM, None], executor="default")
        said(message)

    daemon.say = say
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return daemon.start(), jobs
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.mark.parametrize("sources, alerts, expected", [
    ([source("a", "15m")], [], {"pass:a": (IntervalTrigger, 900, "passes"),
                                "heartbeat": (IntervalTrigger, HEARTBEAT_S, "default")}),
    ([source("a", "2h"), source("b", "*/30 * * * *")], [HOOK],
     {"pass:a": (IntervalTrigger, 7200, "passes"), "pass:b": (CronTrigger, None, "passes"),
      "alerts": (IntervalTrigger, SENDER_S, "passes"), "heartbeat": (IntervalTrigger, HEARTBEAT_S, "default")}),
])
def test_each_source_gets_a_pass_job_on_its_schedule(tmp_path, archive_path, sources, alerts, expected):
    messages: list[str] = []
    daemon = Daemon(state_config(tmp_path, sources=sources, alerts=alerts), say=messages.append)
    code, jobs = run_until_stopped(daemon)
    assert code == 0
    seen = {job_id: (type(trigger), trigger.interval.total_seconds() if isinstance(trigger, IntervalTrigger) else None,
                     executor) for job_id, (trigger, executor) in jobs.items()}
    assert seen == expected
    if "pass:b" in jobs:
        assert str(jobs["pass:b"][0]) == "cron[month='*', day='*', day_of_week='*', hour='*', minute='*/30']"
    assert messages[0].startswith(f"remarkwatch daemon: {len(sources)} source(s) on ")
    assert messages[1:] == ["remarkwatch daemon: SIGTERM received; stopping", "remarkwatch daemon: stopped cleanly"]
    assert daemon.db.execute("SELECT state, detail FROM daemon").fetchone() == ("stopped", "")


def test_a_stopping_daemon_starts_no_pass_and_sends_nothing(tmp_path, archive_path):
    messages: list[str] = []
    daemon = Daemon(state_config(tmp_path, alerts=[HOOK]), say=messages.append)
    daemon.stopping.set()
    daemon._pass("state")
    daemon._send()
    assert (daemon.child, daemon.state, daemon.idle.is_set(), messages) == (None, "idle", True, [])
    daemon._beat()
    assert daemon.db.execute("SELECT state, detail FROM daemon").fetchone() == ("stopping", "idle")
