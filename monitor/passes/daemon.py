"""`remarkwatch run`: an APScheduler 3.x daemon that runs each source's passes on its schedule.

Each pass runs as a child process (`remarkwatch crawl --source NAME --now`, which runs it with
`run_pass`): Scrapy's reactor cannot be restarted in one process, and a child returns its memory
when it ends. Between passes the daemon sends the outbox with run_pass's own `deliver_alerts`, and
the Save Page Now queue with its `send_evidence`. Passes and the
outbox sender share one worker, so they never overlap and the sender runs between passes; missed
runs are coalesced. SIGTERM or SIGINT stops the scheduler and asks the running pass to stop: it
finishes the document it is writing, marks its run interrupted, and the daemon says so.
"""
from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from remarkwatch.clock import utcnow
from remarkwatch.config import Config
from remarkwatch.errors import EXIT_SOURCE_FAILING
from remarkwatch.core.recheck import duration_s
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage.db import open_db

logger = logging.getLogger(__name__)
HEARTBEAT_S = 15
SENDER_S = 60
STOP_GRACE_S = 120


class Daemon:
    def __init__(self, config: Config, say: Callable[[str], None] = print, log_level: str = "ERROR"):
        self.config, self.say = config, say
        self.db = open_db(config.db_path)
        self.child: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.state = "idle"
        self.scheduler = BlockingScheduler(
            timezone=timezone.utc,
            executors={"passes": ThreadPoolExecutor(1), "default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()     # the scheduler's threads share self.db: one user at a time
        self.idle = threading.Event()     # set while no pass runs
        self.idle.set()

    def start(self) -> int:
        for source in self.config.sources:
            trigger = source.schedule.trigger() or IntervalTrigger(seconds=duration_s(source.schedule.spec))
            self.scheduler.add_job(self._pass, trigger, args=[source.name], id=f"pass:{source.name}",
                                   executor="passes", next_run_time=datetime.now(timezone.utc))
        if self.config.alerts or self.config.save_page_now.enabled:
            self.scheduler.add_job(self._send, IntervalTrigger(seconds=SENDER_S), id="alerts", executor="passes")
        self.scheduler.add_job(self._beat, IntervalTrigger(seconds=HEARTBEAT_S), id="heartbeat", executor="default",
                               next_run_time=datetime.now(timezone.utc))
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.say(f"remarkwatch daemon: {len(self.config.sources)} source(s) on {self.config.db_path}; "
                 f"SIGTERM or Ctrl-C stops it")
        self.scheduler.start()          # returns after shutdown
        return self._finish()

    def _pass(self, source_name: str) -> None:
        if self.stopping.is_set():
            return
        command = [sys.executable, "-m", "remarkwatch", "crawl", "--config", str(self.config.path),
                   "--db", str(self.config.db_path), "--source", source_name, "--now"]
        with self._lock:
            if self.stopping.is_set():
                return
            self.idle.clear()
            self.state = f"crawling {source_name}"
            self.child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            self._beat()
            output, _ = self.child.communicate()
            code = self.child.returncode
            for line in output.strip().splitlines():
                self.say(f"[{source_name}] {line}")
            if code not in (0, EXIT_SOURCE_FAILING, -signal.SIGTERM):
                self.say(f"[{source_name}] pass exited with status {code}")
        finally:
            # Whatever happened, the daemon is idle again: a stop never waits for a pass that is over.
            with self._lock:
                self.child, self.state = None, "idle"
            self.idle.set()
            self._beat()

    def _send(self) -> None:
        if self.stopping.is_set():
            return
        from remarkwatch.passes.run import deliver_alerts, send_evidence

        if self.config.alerts:
            with self._db_lock:
                report = deliver_alerts(self.config, self.db)
            for name, why in report.held.items():
                self.say(f"alerts of channel {name} held back: {why}")
            if report.counts:
                self.say(report.summary())
        if self.config.save_page_now.enabled:
            # Its own connection: a round that waits on the archive never holds up the heartbeat.
            db = open_db(self.config.db_path)
            try:
                evidence = send_evidence(self.config, db)
            finally:
                db.close()
            if evidence.counts or evidence.held or evidence.paused_until:
                self.say(evidence.summary())

    def _beat(self) -> None:
        """The heartbeat. It runs on the scheduler's threads, which share one connection: one at a
        time, and a busy database costs a beat (logged), never the pass that called it."""
        try:
            with self._db_lock:
                schedule_store.heartbeat(self.db, utcnow(), "stopping" if self.stopping.is_set() else "running",
                                         self.state)
        except sqlite3.Error as exc:
            logger.warning("heartbeat not written: %s", exc)

    def _stop(self, signum, frame) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.say(f"remarkwatch daemon: {signal.Signals(signum).name} received; stopping")
        with self._lock:
            if self.child is not None and self.child.poll() is None:
                self.say(f"remarkwatch daemon: asking the running pass ({self.state}) to finish its document and stop")
                self.child.send_signal(signal.SIGTERM)
        self.scheduler.shutdown(wait=False)

    def _finish(self) -> int:
        if not self.idle.wait(timeout=STOP_GRACE_S):
            with self._lock:
                if self.child is not None:
                    self.child.kill()   # each document is one transaction: nothing is half-written
            self.idle.wait(timeout=30)
        with self._db_lock:
            schedule_store.heartbeat(self.db, utcnow(), "stopped", "")
        self.say("remarkwatch daemon: stopped cleanly")
        return 0
