"""One pass now: take the pass lock, plan (which sources are due), run the pass in this process or
on the cluster, release the lock, deliver the alerts. `remarkwatch crawl`, the daemon (through
`crawl` in a child process: Scrapy's reactor runs once a process), the demo and the benches all
run their passes through `run_pass`. After the alerts, the Save Page Now queue gets its round
(bounded in time: `[save_page_now] budget_s`)."""
from __future__ import annotations

import signal
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable

from remarkwatch.clock import stamped, utcnow
from remarkwatch.config import Config, Source
from remarkwatch.core.recheck import parse_time
from remarkwatch.passes.autorecheck import resolve as resolve_rechecks
from remarkwatch.errors import ConfigError
from remarkwatch.passes.book import PassResult
from remarkwatch.passes.progress import Progress
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage.db import open_db


def _echo(line: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    print(stamped(line, stream), file=stream)


@dataclass
class PassOutcome:
    """What `run_pass` did. With `busy` set, nothing ran and nothing was delivered."""
    busy: dict | None = None                                 # the live holder of the pass lock
    waiting: dict[str, str] = field(default_factory=dict)    # source not due -> when it is next due
    results: list[PassResult] = field(default_factory=list)  # one per round; none when nothing was due
    cluster_failed: bool = False          # the cluster pass failed (its last problem was said on stderr)
    delivery: object | None = None        # the alerts sender's report, when channels are configured
    evidence: object | None = None        # the Save Page Now queue's report, when it is on

    @property
    def result(self) -> PassResult | None:
        return self.results[-1] if self.results else None


def pick_sources(config: Config, names: Iterable[str] = ()) -> list[Source]:
    """The sources named (each must be configured), or every one; ConfigError when there is none."""
    names = list(names)
    sources = [config.source(n) for n in names] if names else list(config.sources)
    if not sources:
        raise ConfigError(f"{config.path}: no [[sources]] to crawl; add one (see `remarkwatch init`)")
    return sources


def plan(db, sources: Iterable[Source], now: str) -> tuple[list[Source], dict[str, str]]:
    """The sources due for a pass now, and for the others the time they are next due."""
    due, waiting = [], {}
    for source in sources:
        last = parse_time(schedule_store.source_state(db, source.name).get("last_started_at"))
        if source.schedule.is_due(last, parse_time(now)):
            due.append(source)
        else:
            waiting[source.name] = source.schedule.next_due(last, parse_time(now)).isoformat(timespec="seconds")
    return due, waiting


def deliver_alerts(config: Config, db):
    """Send what the outbox holds to the configured channels; the sender's report."""
    from remarkwatch.alerts.sender import deliver

    return deliver(db, config.alerts, utcnow, public_url=config.public_url)


def send_evidence(config: Config, db, budget_s: float | None = None):
    """One round of the Save Page Now queue (third-party captures of edited pages); its report."""
    from remarkwatch.evidence.queue import send_queue

    return send_queue(db, config.save_page_now, user_agent=config.user_agent, budget_s=budget_s)


def run_pass(config: Config, sources: Iterable[Source] | None = None, *, db=None, full: bool = False,
             ignore_schedule: bool = False, progress: Progress | None = None, log_level: str = "ERROR",
             echo: Callable[..., None] = _echo, rounds: int = 1,
             after: Callable[[int, PassResult], None] | None = None) -> PassOutcome:
    """One pass over the sources (all configured ones by default) that are due, or all of them
    with `full` (every document re-checked too) or `ignore_schedule`. A pass already running on
    the archive makes this one say so and return. Lines for the terminal go to `echo(line,
    err=False)` as they happen, each pass's summary through `after(n, result)` (by default
    echoed). The alerts go out after the lock is released, so a slow endpoint never holds back
    the next pass; due retries go out even when no source was due.

    `rounds` passes (in this process only) run one after another in its one reactor; `after` runs
    between them, in the reactor (the demo changes its site there), and after the last one."""
    if rounds > 1 and config.cluster is not None:
        raise ValueError("several rounds of passes run only in this process, not on the cluster")
    after = after or (lambda _number, result: echo(result.summary()))
    sources = pick_sources(config) if sources is None else list(sources)
    redis = None
    if config.cluster is not None:
        from remarkwatch.cluster.connection import connect

        redis = connect(config)         # an unreachable Redis stops here (ConfigError)
    db = db if db is not None else open_db(config.db_path)
    holder = schedule_store.acquire_lock(db, "pass", utcnow())
    if holder is not None:
        echo(f"another pass is running on {config.db_path} (pid {holder['pid']} on {holder['host']}, "
             f"since {holder['acquired_at']}); not starting a second one")
        return PassOutcome(busy=holder)
    outcome = PassOutcome()
    try:
        if not (full or ignore_schedule):
            sources, outcome.waiting = plan(db, sources, utcnow())
            for name, when in outcome.waiting.items():
                echo(f"{name}: not due until {when}")
        sources = resolve_rechecks(db, config, sources, parse_time(utcnow()))
        if sources and redis is not None:
            _on_cluster(config, db, sources, full, redis, progress, echo, after, outcome)
        elif sources:
            _here(config, db, sources, full, progress, log_level, rounds, after, outcome)
    finally:
        schedule_store.release_lock(db, "pass")
    if config.alerts:
        outcome.delivery = deliver_alerts(config, db)
    if config.save_page_now.enabled:
        outcome.evidence = send_evidence(config, db)
    return outcome


def _here(config, db, sources, full, progress, log_level, rounds, after, outcome) -> None:
    """The pass in this process: one Scrapy reactor run for every round."""
    from remarkwatch.passes.local import CrawlPass, run_steps

    progress = progress or Progress()
    passes = [CrawlPass(config, db, sources, progress, full=full) for _ in range(rounds)]
    steps: list[Callable] = []
    for number, step in enumerate(passes, start=1):
        steps.append(step)
        if number < rounds:
            steps.append(lambda _process, n=number, s=step: after(n, s.result))
    run_steps(config, steps, log_level=log_level)
    outcome.results = [step.result for step in passes]
    after(rounds, passes[-1].result)


def _on_cluster(config, db, sources, full, redis, progress, echo, after, outcome) -> None:
    """A pass whose fetching the cluster's workers do; SIGTERM/SIGINT end it as interrupted."""
    from remarkwatch.cluster.coordinator import ClusterPass

    step = ClusterPass(config, db, sources, progress or Progress(), full=full, redis=redis)

    def stop(signum, frame):
        step.stop_requested = True
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        step.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcome.results = [step.result]
    after(1, step.result)
    if step.result.outcome == "failed" and step.result.problems:
        echo(f"error: {step.result.problems[-1]}", err=True)
        outcome.cluster_failed = True
