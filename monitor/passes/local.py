"""Run crawl passes: one Scrapy process, sources crawled one after another, a runs row per pass."""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import datetime, timezone
from typing import Callable, Iterable

from remarkwatch.clock import utcnow
from remarkwatch.config import Config, Source
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.middlewares.politeness import STOPPING, pacer_of
from remarkwatch.crawler.settings import build_settings
from remarkwatch.crawler.spiders.remarks import RemarksSpider
from remarkwatch.crawler.listings import DROPPED
from remarkwatch.crawler.spiders.sitesignals import SignalCache, dropped_message
from remarkwatch.parallel.pool import ExtractPool
from remarkwatch.passes.autorecheck import site_since
from remarkwatch.passes.book import PassBook, PassResult, outcome_of
from remarkwatch.passes.progress import Progress
from remarkwatch.storage.connection import database_path

logger = logging.getLogger(__name__)


class CrawlPass:
    """One pass over some sources in this process: a step for `run_steps`, its result filled in as
    it goes. Its records and statistics are a PassBook's; this class crawls."""

    def __init__(self, config: Config, db, sources: Iterable[Source], progress: Progress | None = None,
                 clock: Callable[[], str] = utcnow, full: bool = False):
        self.book = PassBook(config, db, sources, progress, clock, full=full)
        self.config, self.db, self.sources = config, db, self.book.sources
        # Once the pass uses helper processes, captures are written by the pool's writer helper
        # (parallel/pool.py, parallel/writer.py) instead of the book's writer thread; the thread
        # keeps the pass's own bookkeeping.
        self._pool = None
        self._handed_over = False
        self._pending: set[asyncio.Future] = set()

    @property
    def result(self) -> PassResult | None:
        return self.book.result

    def __call__(self, process):
        from twisted.internet import defer
        return defer.ensureDeferred(self._run(process))

    async def _run(self, process):
        try:
            return await self._crawl_all(process)
        finally:
            await self._drain_remote()
            self.book.close()

    async def _crawl_all(self, process):
        book = self.book
        started = time.monotonic()
        result = book.open()
        pool = self._pool = getattr(process, "extract_pool", None)
        pooled_before = pool.pooled if pool is not None else 0
        if pool is not None and pool.db_path is None:
            pool.db_path = database_path(self.db)
        interrupted = False
        signals, since_of = SignalCache(), site_since(book, self.db, self.sources)
        for source in self.sources:
            if getattr(process, "stop_requested", False):
                interrupted = True
                break
            known, skip, checked, since, baseline = book.start_source(source)
            since = since and since_of.get(source.name, since)
            if pool is not None:
                pool.start_for(baseline)
            crawler = process.create_crawler(RemarksSpider)
            crawler.settings.setdict(source_settings(source), priority="spider")
            await process.crawl(crawler, **self._spider_args(source, pool), known_urls=known, skip_urls=skip,
                                checked=checked, signals_since=since, extract_pool=pool, signal_cache=signals)
            await self._drain_remote()    # every capture of the source is written before its summary
            reason = "shutdown" if getattr(process, "stop_requested", False) else crawler.stats.get_value("finish_reason")
            if book.fatal is None and reason != "shutdown":
                book.source_done(source)
            outcome = "interrupted" if reason == "shutdown" else "failed" if (
                book.fatal or source.name in result.failed_sources) else "ok"
            book.end_source(source, outcome)
            if book.fatal is not None or reason == "shutdown":
                interrupted = True
                break
        report_dropped(signals, result)
        result.seconds = time.monotonic() - started
        if pool is not None:
            result.pooled, result.workers = pool.pooled - pooled_before, pool.workers
        return book.finish(outcome_of(result, fatal=book.fatal is not None, interrupted=interrupted,
                                      crawled=len(result.sources)))

    def _spider_args(self, source: Source, pool: ExtractPool | None = None) -> dict:
        handlers = self.book.handlers(source)
        problem = handlers["on_problem"]

        def sink(capture: Capture):
            if pool is not None and pool.writing:
                if not self._handed_over:
                    # One writer at a time, in arrival order: the thread's queue is written first.
                    self.book.write(lambda: None).result()
                    self._handed_over = True
                task = asyncio.ensure_future(self._sink_remote(source, capture, problem))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
                return task
            return self.book.sink(source, capture, problem)

        return dict(
            source_name=source.name, start_urls=source.start_urls,
            allowed_domains=source.allowed_domains, profile=source.profile,
            max_listing_pages=source.max_listing_pages, sink=sink, **handlers,
        )

    async def _sink_remote(self, source: Source, capture: Capture, problem) -> None:
        """Write one capture through the pool's writer helper; account for it here once written."""
        if self.book.fatal is not None:
            return
        kind, error, capture = await self._pool.record(capture, self.book.rules(source), self.result.run_id,
                                                       self.book.clock())
        self.book.written_elsewhere(source, capture, kind, error, problem)

    async def _drain_remote(self) -> None:
        """Wait until every capture handed to the writer helper is written and its new versions
        are in the search index."""
        while self._pending:
            await _from_asyncio(asyncio.gather(*list(self._pending), return_exceptions=True))
        if self._handed_over:
            error = await _from_asyncio(self._pool.flush())
            if error:       # the versions are written; the next run indexes them (runs.start_run)
                logger.warning("new versions not indexed for search yet: %s", error)


def report_dropped(signals: SignalCache, result: PassResult) -> None:
    """New releases a signal named that no source of the pass holds: counted in the summary, logged
    by signal (a count, not the URLs). A source whose listing URL is wrong gets none of them."""
    for named, count in sorted(signals.dropped().items()):
        result.kinds[DROPPED] += count
        logger.info("%s", dropped_message(named, count))


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
            reactor.callFromThread(drop_delayed, crawler)     # and so does one for delay_s
        logger.warning("%s received: finishing the current document, then stopping", signal.Signals(signum).name)
        reactor.callFromThread(stop_crawlers, process, reactor)
    return shutdown


def stop_crawlers(process, reactor, every_s: float = 0.1) -> None:
    """Stop each crawl of `process` gracefully, now or as soon as Scrapy can. Scrapy ignores a stop
    asked while a crawler still opens its spider (its engine is not running yet: `Crawler.stop_async`
    does nothing), and that crawl then runs on with nobody left to stop it: a cluster worker given
    SIGTERM at that moment never ended. Such a crawler is asked again every `every_s` until it runs."""
    for crawler in list(getattr(process, "crawlers", ())):
        _stop_crawler(crawler, reactor, every_s)


def _stop_crawler(crawler, reactor, every_s: float) -> None:
    from scrapy.utils.defer import deferred_from_coro

    engine = getattr(crawler, "_engine", None)      # Scrapy's name for it before the crawl starts
    if crawler.crawling and (engine is None or not engine.running):
        reactor.callLater(every_s, _stop_crawler, crawler, reactor, every_s)
        return
    deferred_from_coro(crawler.stop_async()).addErrback(
        lambda failure: logger.error("stopping the crawl failed: %s", failure.getErrorMessage()))


def drop_delayed(crawler) -> int:
    """Drop the requests Scrapy's downloader holds back for the source's delay (DOWNLOAD_DELAY):
    a stopping crawl otherwise waits each of them out (455 s after SIGTERM with delay_s = 600).
    Each fails as a stopped wait does (STOPPING), which records nothing: they stay due."""
    from scrapy.exceptions import IgnoreRequest

    engine = getattr(crawler, "_engine", None)      # Scrapy's name for it before the crawl starts
    dropped = 0
    for slot in list(engine.downloader.slots.values()) if engine is not None else ():
        slot.close()                 # the timer that would start the next request after the delay
        while slot.queue:
            request, waiting = slot.queue.popleft()
            waiting.errback(IgnoreRequest(STOPPING))
            dropped += 1
    return dropped
