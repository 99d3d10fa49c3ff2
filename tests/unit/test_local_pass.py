"""A pass on this machine, in process, without starting Scrapy's reactor: each source's politeness
settings, where the spider's captures go, and what SIGTERM/SIGINT do to a running pass. Whole
passes are crawled in tests/integration/test_crawl.py."""
from __future__ import annotations

import signal
from types import SimpleNamespace

import pytest
import scrapy
from scrapy.utils.test import get_crawler

from remarkwatch.crawler.items import OK, Capture, Extracted
from remarkwatch.crawler.middlewares.politeness import pacer_of
from remarkwatch.passes.local import CrawlPass, _shutdown_handler, drop_delayed, source_settings, stop_crawlers
from remarkwatch.storage.db import open_db
from tests.unit.conftest import STATE, state_config

NOW = "2026-01-10T00:00:00+00:00"


@pytest.mark.parametrize("schedule, delay, max_wait, throttled, start_delay", [
    ("1s", 0, 60.0, False, 0.1),              # a Retry-After is waited out for a minute at least
    ("2h", 0, 7200.0, False, 0.1),            # never past the source's next pass
    ("1d", 5.0, 86400.0, True, 5.0),          # AutoThrottle only where a delay is asked for
    ("15m", 0.05, 900.0, True, 0.1),
])
def test_each_source_is_paced_by_its_own_delay_and_schedule(tmp_path, schedule, delay, max_wait, throttled,
                                                            start_delay):
    config = state_config(tmp_path, sources=[{"name": "s", "profile": "state.gov", "start_urls": [STATE + "/"],
                                              "schedule": schedule, "delay_s": delay}])
    settings = source_settings(config.sources[0])
    assert settings == {"REMARKWATCH_MAX_WAIT_S": max_wait, "DOWNLOAD_DELAY": delay,
                        "AUTOTHROTTLE_ENABLED": throttled, "AUTOTHROTTLE_START_DELAY": start_delay}


def test_without_helpers_the_spider_writes_through_the_pass_writer_thread(tmp_path, archive_path):
    config = state_config(tmp_path)
    crawl = CrawlPass(config, open_db(config.db_path), config.sources, clock=lambda: NOW)
    try:
        crawl.book.open()
        source = config.sources[0]
        crawl.book.start_source(source)
        args = crawl._spider_args(source)
        assert {k: args[k] for k in ("source_name", "start_urls", "allowed_domains", "max_listing_pages")} == {
            "source_name": "state", "start_urls": (STATE + "/remarks/",), "allowed_domains": ("www.state.gov",),
            "max_listing_pages": source.max_listing_pages}
        url = STATE + "/releases/a/"
        written = args["sink"](Capture(source="state", url=url, final_url=url, status=200, fetched_at=NOW, outcome=OK,
                                       body=b"<html></html>", fields=Extracted(title="A", body_text="Words.")))
        written.result(timeout=30)
        assert crawl.db.execute("SELECT url FROM documents").fetchall() == [(url,)]
        assert crawl.result.counts["pages"] == 1 and not crawl._handed_over
    finally:
        crawl.book.close()


class Reactor:
    """What the handler asks of Twisted's reactor, kept: the calls it hands to the reactor thread."""

    def __init__(self):
        self.calls = []

    def callFromThread(self, function, *args):  # noqa: N802 (Twisted's name)
        self.calls.append(function)

    def stop(self):
        pass


def test_the_first_signal_stops_gracefully_and_the_second_at_once():
    crawler = get_crawler()
    stopped = []
    process = SimpleNamespace(stop_requested=False, crawlers=[crawler], stop=lambda: stopped.append(True))
    reactor = Reactor()
    shutdown = _shutdown_handler(process, reactor)
    shutdown(signal.SIGTERM, None)
    # No further source is started, a pacer's Retry-After or Crawl-delay wait ends, the crawl closes.
    assert process.stop_requested and pacer_of(crawler).stopping
    assert reactor.calls == [drop_delayed, stop_crawlers]
    shutdown(signal.SIGINT, None)
    assert reactor.calls == [drop_delayed, stop_crawlers, reactor.stop]


def test_a_stop_drops_the_requests_held_back_for_the_delay():
    """Issue 27, item 13: Scrapy's downloader holds requests for DOWNLOAD_DELAY, and a stopping
    crawl waited them all out (455 s after SIGTERM with delay_s = 600). They fail as a stopped
    wait does, which records nothing, and the slot's timer is cancelled."""
    from scrapy.core.downloader import Slot
    from scrapy.exceptions import IgnoreRequest
    from twisted.internet.defer import Deferred

    from remarkwatch.crawler.middlewares.politeness import STOPPING

    class Timer:
        cancelled = False

        def cancel(self):
            self.cancelled = True

    slot, timer, failed = Slot(concurrency=1, delay=600), Timer(), []
    slot.latercall = timer
    for url in ("https://www.state.gov/a/", "https://www.state.gov/b/"):
        waiting = Deferred()
        waiting.addErrback(lambda failure: failed.append(failure.check(IgnoreRequest) and failure.getErrorMessage()))
        slot.queue.append((scrapy.Request(url), waiting))
    crawler = SimpleNamespace(_engine=SimpleNamespace(downloader=SimpleNamespace(slots={"www.state.gov": slot})))
    assert drop_delayed(crawler) == 2
    assert failed == [STOPPING, STOPPING] and not slot.queue and timer.cancelled
    assert drop_delayed(SimpleNamespace(_engine=None)) == 0
