"""Run crawl passes: one Scrapy process, sources crawled one after another, a runs row per pass."""
from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from remarkwatch.crawler.extract import FALLBACK_OUTCOMES
from remarkwatch.crawler.items import (BLOCKED, EXTRACT_ERROR, HTTP_ERROR, NETWORK_ERROR, NOT_MODIFIED, OK, SAME_BYTES, TOO_LARGE,
                           TRUNCATED, Capture)
from remarkwatch.crawler.middlewares.politeness import pacer_of
from remarkwatch.crawler.settings import build_settings
from remarkwatch.crawler.spiders.remarks import RemarksSpider
from remarkwatch.clock import utcnow
from remarkwatch.config import Config, Source
from remarkwatch.errors import PassFailed
from remarkwatch.record.health import pass_failed, record_extraction_health, record_source_pass
from remarkwatch.record.ingest import RemovalPolicy
from remarkwatch.parallel.pool import ExtractPool
from remarkwatch.record.record import COUNT_KEYS, Rules, bucket, record
from remarkwatch.passes.progress import Progress
from remarkwatch.core.recheck import parse_time
from remarkwatch.storage import archive
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage.connection import database_path

logger = logging.getLogger(__name__)
# Article outcomes that say the source (not one page) is in trouble.
SOURCE_FAILURES = (BLOCKED, HTTP_ERROR, NETWORK_ERROR, TRUNCATED, EXTRACT_ERROR, TOO_LARGE)


@dataclass
class PassResult:
    run_id: int
    outcome: str = "running"
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    kinds: Counter = field(default_factory=Counter)
    sources: dict = field(default_factory=dict)    # source name -> Counter of listing/article outcomes
    failed_sources: list[str] = field(default_factory=list)   # no listing readable, or every fetch failed
    misses: dict = field(default_factory=dict)      # source -> Counter of what the profile missed
    examples: dict = field(default_factory=dict)    # source -> one page the profile missed
    pooled: int = 0            # pages judged in extraction worker processes (monitor.pool)
    workers: int = 0

    def summary(self) -> str:
        c = self.counts
        other = ", ".join(f"{n} {kind}" for kind, n in sorted(self.kinds.items())
                          if kind not in ("new", "edited", "unchanged", "failed"))
        return (f"run {self.run_id} ({self.outcome}): {c['pages']} pages fetched, {c['new']} new, "
                f"{c['edited']} edited, {c['unchanged']} unchanged, {c['failed']} failed"
                + (f" ({other})" if other else "") + f" in {self.seconds:.1f} s"
                + (f" ({self.pooled} extracted in {self.workers} worker process{'es' if self.workers > 1 else ''})"
                   if self.pooled else ""))


class CrawlPass:
    """One pass over some sources: a step for `run_steps`, its result filled in as it goes."""

    def __init__(self, config: Config, db, sources: Iterable[Source], progress: Progress | None = None,
                 clock: Callable[[], str] = utcnow, full: bool = False):
        self.config, self.db, self.sources = config, db, list(sources)
        self.full = full      # re-check every document now, whatever its schedule
        self.progress = progress or Progress(enabled=False)
        self.clock = clock
        self.result: PassResult | None = None
        self._fatal: BaseException | None = None
        self._channels: dict[str, tuple] = {}   # source name -> alert channels its changes go to
        # Every archive write of the pass happens on this one thread, one document per
        # transaction, so the reactor keeps fetching while a document is written.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="remarkwatch-writer")
        # Once the pass uses helper processes, captures are written by the pool's writer helper
        # instead (monitor/pool.py, monitor/writer.py); the thread keeps the pass's own bookkeeping.
        self._pool = None
        self._handed_over = False
        self._pending: set[asyncio.Future] = set()

    def __call__(self, process):
        from twisted.internet import defer
        return defer.ensureDeferred(self._run(process))

    async def _run(self, process):
        try:
            return await self._crawl_all(process)
        finally:
            await self._drain_remote()
            self._writer.shutdown(wait=True)

    async def _crawl_all(self, process):
        started = time.monotonic()
        run_id = self._write(archive.start_run, self.db, [s.name for s in self.sources], self.clock()).result()
        self.result = result = PassResult(run_id)
        pool = self._pool = getattr(process, "extract_pool", None)
        pooled_before = pool.pooled if pool is not None else 0
        if pool is not None and pool.db_path is None:
            pool.db_path = database_path(self.db)
        interrupted = False
        for source in self.sources:
            if getattr(process, "stop_requested", False):
                interrupted = True
                break
            known, skip, checked, since, baseline = self._write(self._start_source, source).result()
            if pool is not None:
                pool.start_for(baseline)
            # A source's first complete pass is its baseline: every release is recorded as new,
            # none alerted (also after a first pass that was killed half-way).
            self._channels[source.name] = () if baseline else self.config.alerts
            crawler = process.create_crawler(RemarksSpider)
            crawler.settings.setdict(source_settings(source), priority="spider")
            await process.crawl(crawler, **self._spider_args(source, result, pool), known_urls=known, skip_urls=skip,
                                checked=checked, signals_since=since, extract_pool=pool)
            await self._drain_remote()    # every capture of the source is written before its summary
            reason = "shutdown" if getattr(process, "stop_requested", False) else crawler.stats.get_value("finish_reason")
            if self._fatal is None and reason != "shutdown":
                self._write(self._source_done, source, result).result()
            outcome = "interrupted" if reason == "shutdown" else "failed" if (
                self._fatal or source.name in result.failed_sources) else "ok"
            self._write(self._end_source, source, outcome).result()
            if self._fatal is not None or reason == "shutdown":
                interrupted = True
                break
        result.seconds = time.monotonic() - started
        if pool is not None:
            result.pooled, result.workers = pool.pooled - pooled_before, pool.workers
        result.outcome = outcome_of(result, fatal=self._fatal is not None, interrupted=interrupted,
                                    crawled=len(result.sources))
        self.progress.finish()
        # Queued behind every capture of the pass, so the counts it writes are complete.
        self._write(self._finish, result).result()
        if self._fatal is not None:
            raise PassFailed(f"{self.config.db_path}: cannot write to the database: {self._fatal}")
        return result

    def _finish(self, result: PassResult) -> None:
        archive.finish_run(self.db, result.run_id, self.clock(), result.outcome,
                           {k: result.counts[k] for k in COUNT_KEYS},
                           str(self._fatal) if self._fatal else None)

    def _start_source(self, source: Source) -> tuple[list[dict], frozenset, dict, str | None, bool]:
        """Record the source's start; return the documents to re-check (the due ones, or all of
        them when the pass is --full or the source's sweep is due), the URLs of the others (which
        the listing must not fetch either), every document's last check, the previous start, and
        whether this pass is the source's baseline."""
        now = self.clock()
        state = schedule_store.source_state(self.db, source.name)
        if state.get("recheck_rule") != source.recheck.spec():
            # The rule changed (or was never recorded): every document's next check follows the new one.
            with self.db.atomic():
                schedule_store.reschedule(self.db, source.name, lambda first_seen, last_checked: source.recheck.next_check(
                    parse_time(first_seen), parse_time(last_checked or now)).isoformat(timespec="seconds"))
                schedule_store.save_source_state(self.db, source.name, recheck_rule=source.recheck.spec())
        last_sweep = parse_time(state.get("last_sweep_at"))
        sweep = self.full or (last_sweep is not None and
                              parse_time(now) - last_sweep >= timedelta(days=source.sweep_days))
        with self.db.atomic():
            fields = {"last_started_at": now, **({"last_sweep_at": now} if sweep or last_sweep is None else {})}
            schedule_store.save_source_state(self.db, source.name, **fields)
        due = schedule_store.due_documents(self.db, source.name, now, everything=sweep)
        checked = schedule_store.last_checks(self.db, source.name)
        skip = set(checked) - {d["url"] for d in due}
        return due, frozenset(skip), checked, state.get("last_started_at"), not state.get("baseline_done_at")

    def _end_source(self, source: Source, outcome: str) -> None:
        with self.db.atomic():
            schedule_store.save_source_state(self.db, source.name, last_finished_at=self.clock(), last_outcome=outcome)

    def _source_done(self, source: Source, result: PassResult) -> None:
        stats = result.sources.get(source.name, Counter())
        problems = [p for p in result.problems if p.startswith(f"{source.name}: ")]
        failing = pass_failed(stats)
        if failing:
            result.failed_sources.append(source.name)
        else:
            with self.db.atomic():
                schedule_store.mark_baseline_done(self.db, source.name, self.clock())
        event = record_source_pass(
            self.db, source.name, failing=failing, error=problems[-1] if problems else None,
            run_id=result.run_id, now=self.clock(), channels=self.config.alerts,
            after=self.config.source_failing_after)
        if event:
            result.kinds[event] += 1
        misses = result.misses.get(source.name, Counter())
        layout = record_extraction_health(
            self.db, source.name, stats, problem=misses.most_common(1)[0][0] if misses else None,
            example=result.examples.get(source.name), run_id=result.run_id, now=self.clock(),
            channels=self.config.alerts)
        if layout:
            result.kinds[layout] += 1

    def _spider_args(self, source: Source, result: PassResult, pool: ExtractPool | None = None) -> dict:
        stats = result.sources.setdefault(source.name, Counter())

        def problem(message: str) -> None:
            result.problems.append(message)
            self.progress.problem(message)

        def listing(ok: bool) -> None:
            stats["listing_ok" if ok else "listing_failed"] += 1

        def signal(kind: str, url: str) -> None:
            result.kinds[f"via {kind}"] += 1

        def sink(capture: Capture):
            if pool is not None and pool.writing:
                if not self._handed_over:
                    # One writer at a time, in arrival order: the thread's queue is written first.
                    self._write(lambda: None).result()
                    self._handed_over = True
                task = asyncio.ensure_future(self._sink_remote(source, capture, result, problem))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
                return task
            return self._write(self._sink, source, capture, result, problem)

        return dict(
            source_name=source.name, start_urls=source.start_urls,
            allowed_domains=source.allowed_domains, profile=source.profile,
            max_listing_pages=source.max_listing_pages, sink=sink, on_problem=problem, on_listing=listing,
            on_signal=signal,
        )

    def _count(self, result: PassResult, kind: str) -> None:
        counts = Counter(result.counts)
        counts["pages"] += 1
        counts[bucket(kind)] += 1
        archive.count_run(self.db, result.run_id, {k: counts[k] for k in COUNT_KEYS})
        result.counts = counts           # only once the write went through
        result.kinds[kind] += 1

    def _write(self, func, *args) -> Future:
        return self._writer.submit(func, *args)

    def _rules(self, source: Source) -> Rules:
        return Rules(site=source.profile.site, recheck=source.recheck, channels=self._channels.get(source.name, ()),
                     policy=RemovalPolicy(source.removed_after_passes, source.removed_after_hours))

    def _sink(self, source: Source, capture: Capture, result: PassResult, problem) -> None:
        """Write one capture on the writer thread."""
        if self._fatal is not None:
            return
        try:
            # The run's counts are written in the capture's own transaction: a killed pass
            # still shows what it did.
            with self.db.atomic():
                kind = record(self.db, capture, self._rules(source), result.run_id, self.clock())
                self._count(result, kind)
        except sqlite3.Error as exc:
            self._fatal = exc
            problem(f"{source.name}: database error while recording {capture.url}: {exc}")
            return
        self._account(source, capture, result, problem)

    async def _sink_remote(self, source: Source, capture: Capture, result: PassResult, problem) -> None:
        """Write one capture through the pool's writer helper; account for it here once written."""
        if self._fatal is not None:
            return
        kind, error, capture = await self._pool.record(capture, self._rules(source), result.run_id, self.clock())
        if self._fatal is not None:
            return
        if error is not None:
            self._fatal = sqlite3.OperationalError(error)
            problem(f"{source.name}: database error while recording {capture.url}: {error}")
            return
        counts = Counter(result.counts)
        counts["pages"] += 1
        counts[bucket(kind)] += 1
        result.counts = counts
        result.kinds[kind] += 1
        self._account(source, capture, result, problem)

    async def _drain_remote(self) -> None:
        """Wait until every capture handed to the writer helper is written and its new versions
        are in the search index."""
        while self._pending:
            await _from_asyncio(asyncio.gather(*list(self._pending), return_exceptions=True))
        if self._handed_over:
            error = await _from_asyncio(self._pool.flush())
            if error:       # the versions are written; the next run indexes them (archive.start_run)
                logger.warning("new versions not indexed for search yet: %s", error)

    def _account(self, source: Source, capture: Capture, result: PassResult, problem) -> None:
        """A written capture in the pass's in-memory statistics (source health, extraction
        health, problems, progress)."""
        stats = result.sources[source.name]
        if capture.outcome in (NOT_MODIFIED, SAME_BYTES):
            stats["ok"] += 1      # the page answered: the source is readable
            return
        if capture.outcome == OK:
            stats["ok"] += 1
            stats["fallback" if capture.missed else "extracted"] += 1   # extraction health
        elif capture.outcome in FALLBACK_OUTCOMES:
            stats["missed"] += 1
        elif capture.outcome in SOURCE_FAILURES:
            stats["failed"] += 1
        if capture.missed or capture.outcome in FALLBACK_OUTCOMES:
            result.misses.setdefault(source.name, Counter())[capture.missed or capture.error or capture.outcome] += 1
            result.examples.setdefault(source.name, capture.final_url)
        if capture.outcome != OK:
            problem(f"{source.name}: {capture.url}: {capture.outcome} ({capture.error or 'no detail'})")
        self.progress.update(source.name, result.counts)


def outcome_of(result: PassResult, *, fatal: bool, interrupted: bool, crawled: int) -> str:
    """`failed` (the database failed, or no source could be read), `interrupted`, `partial` (some
    sources failed: no listing page readable, or every article fetch failed) or `ok`."""
    if fatal:
        return "failed"
    if interrupted:
        return "interrupted"
    if result.failed_sources:
        return "failed" if len(result.failed_sources) >= crawled else "partial"
    return "ok"


# Scrapy 2.19's downloader starts every queued request of a slot at once when the slot's delay is
# 0 (the coroutines it schedules mark themselves transferring only later), so a slot can have more
# requests at a time than its per-host limit. A single-machine pass crawls one source per crawler
# with CONCURRENT_REQUESTS equal to the per-host `concurrency` (crawler/settings.py), so no slot
# can be handed more than that. The cluster's workers serve many hosts from one crawler and keep
# any delay above 0 (which takes Scrapy's one-at-a-time path); a millisecond there, since a
# millisecond on every request cost a single-machine first crawl 15% of its speed.
MIN_DOWNLOAD_DELAY_S = 0.001


def source_settings(source: Source) -> dict:
    """Per-source politeness: the delay, and AutoThrottle only where a delay is asked for."""
    now = datetime.now(timezone.utc)
    return {
        # A Retry-After longer than the time to the source's next pass is not waited out.
        "REMARKWATCH_MAX_WAIT_S": max(60.0, (source.schedule.next_due(now, now) - now).total_seconds()),
        "DOWNLOAD_DELAY": source.delay_s,
        "AUTOTHROTTLE_ENABLED": source.delay_s > 0,
        "AUTOTHROTTLE_START_DELAY": max(source.delay_s, 0.1),
    }


def _from_asyncio(awaitable):
    """An asyncio awaitable as a Deferred: a pass is a Twisted coroutine (defer.ensureDeferred),
    and the helpers' answers are asyncio futures."""
    from twisted.internet import defer
    return defer.Deferred.fromFuture(asyncio.ensure_future(awaitable))


def run_steps(config: Config, steps: list[Callable], *, log_level: str = "ERROR") -> None:
    """Run steps (CrawlPass objects or plain callables taking the process) in one reactor run."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.reactor import install_reactor, is_reactor_installed

    settings = build_settings(user_agent=config.user_agent, concurrency=config.concurrency,
                              log_level=log_level, max_page_bytes=config.max_page_bytes)
    # Scrapy's logging setup resets its loggers to DEBUG; keep them at the level asked for.
    settings["LOG_INSTALL_ROOT_HANDLER"] = False
    logging.getLogger("scrapy").setLevel(log_level)
    if not is_reactor_installed():
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(log_level)
    from twisted.internet import defer, reactor

    errors: list = []
    process.stop_requested = False   # read by CrawlPass between sources
    # Pages are judged in worker processes, shared by every pass of this run (monitor.pool).
    process.extract_pool = ExtractPool(config.extract_workers)
    shutdown = _shutdown_handler(process, reactor)

    @defer.inlineCallbacks
    def main():
        try:
            for step in steps:
                if process.stop_requested:
                    break
                yield defer.maybeDeferred(step, process)
        except BaseException as exc:  # handed back to the caller after the reactor stops
            errors.append(exc)
        finally:
            if reactor.running:
                reactor.stop()

    reactor.callWhenRunning(main)
    previous = {sig: signal.signal(sig, shutdown) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        process.start(stop_after_crawl=False, install_signal_handlers=False)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        process.extract_pool.shutdown()
    if errors:
        raise errors[0]


def _shutdown_handler(process, reactor):
    """SIGTERM/SIGINT: the first closes the running crawler gracefully (the document being written
    is finished, the run is recorded as interrupted) and no further step runs; a second stops now.
    Each document is one transaction, so nothing is half-written even then."""
    def shutdown(signum, frame):
        if process.stop_requested:
            reactor.callFromThread(reactor.stop)
            return
        process.stop_requested = True
        for crawler in list(getattr(process, "crawlers", ())):
            pacer_of(crawler).stopping = True     # a Retry-After or Crawl-delay wait ends now
        logger.warning("%s received: finishing the current document, then stopping", signal.Signals(signum).name)
        reactor.callFromThread(process.stop)
    return shutdown


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
