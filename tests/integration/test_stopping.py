"""SIGTERM at any moment of a crawl stops it: a real Scrapy process (its own reactor, so in a
subprocess) with the worker's and the local pass's own signal handlers, the signal sent by the
spider to itself at the moment each case names. The spider never closes by itself (as a cluster
worker's does not), so only the handler can end the crawl.

CI once saw a refusing cluster worker run on for 60 s after SIGTERM: the signal came while Scrapy
was still opening the spider, when `Crawler.stop_async` does nothing, and nothing asked again."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = r'''
import os, signal, sys
import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.reactor import install_reactor

install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import defer, reactor, task

from remarkwatch.cluster.worker_process import stop_handler
from remarkwatch.passes.local import _shutdown_handler

handler, moment = sys.argv[1], sys.argv[2]


def term_later(delay):
    reactor.callLater(delay, os.kill, os.getpid(), signal.SIGTERM)


class Spider(scrapy.Spider):
    name = "never-done"

    async def start(self):
        return
        yield

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.closed, signal=signals.spider_closed)
        return spider

    def opened(self, spider=None):
        if moment == "opening":          # the signal comes while Scrapy still opens the spider
            os.kill(os.getpid(), signal.SIGTERM)
            return task.deferLater(reactor, 0.3, lambda: None)
        term_later(0.3)

    def idle(self, spider=None):
        raise DontCloseSpider

    def closed(self, spider=None, reason=None):
        if moment == "twice":            # a graceful stop that cannot finish: the second signal ends it
            term_later(0.3)
            return defer.Deferred()


process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False})
crawler = process.create_crawler(Spider)
if handler == "worker":
    stop = stop_handler(process, crawler, reactor, "w")
else:
    process.stop_requested = False
    stop = _shutdown_handler(process, reactor)
signal.signal(signal.SIGTERM, stop)
reactor.callLater(20, lambda: (print("still running 20 s after it started"), os._exit(1)))
process.crawl(crawler)
process.start(install_signal_handlers=False)
print("stopped")
'''


@pytest.mark.parametrize("handler, moment", [
    ("worker", "opening"),
    ("worker", "twice"),
    ("local", "opening"),       # a stop while running, and a second signal: tests/unit/test_local_pass.py
])
def test_sigterm_stops_the_crawl_at_any_moment(handler, moment):
    done = subprocess.run([sys.executable, "-c", SCRIPT, handler, moment], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "stopped", done.stdout + done.stderr
