"""The worker side of the clustered mode: Scrapy processes on any number of machines sharing one
request frontier in Redis (frontier.py), pushing every capture to a Redis Stream (stream.py) that
the coordinator's archive writer reads, paced together per host (pacing.py). Workers never open
the archive.

One spider serves every source (`ClusterSpider`): each request carries its source's name in
`meta["rw_source"]`, and the callbacks are the single-machine spider's own, run on a per-source
`RemarksSpider` built from the pass context the coordinator published. So a cluster crawl
extracts and judges pages exactly as a single-process one.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.stream import capture_to_entry
from remarkwatch.crawler.items import Capture

logger = logging.getLogger(__name__)
HEARTBEAT_S = 0.5
WORKER_TTL_S = 3          # a worker silent this long (six heartbeats) is gone: killed, partitioned


class ClusterSpider(scrapy.Spider):
    """One spider for every source; each callback runs the single-machine spider's own on the
    request's source (see the module docstring)."""

    name = "remarkwatch-cluster"

    def __init__(self, *, sources: dict, redis, keys: Keys, fingerprint: str, worker_id: str, **kwargs):
        super().__init__(**kwargs)
        self.sources = sources            # name -> monitor.config.Source
        self.redis, self.keys = redis, keys
        self.fingerprint = fingerprint
        self.worker_id = worker_id
        self.refusing: str | None = None
        self.pages = 0
        self.started = time.time()
        self._contexts: dict[str, tuple[str, object]] = {}
        self._heartbeat = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    async def start(self):
        return
        yield  # an async generator with nothing to start: the frontier feeds us

    def spider_opened(self, spider=None):
        from twisted.internet import task

        self._heartbeat = task.LoopingCall(self.beat)
        self._heartbeat.start(HEARTBEAT_S, now=True)

    def spider_idle(self, spider=None):
        if not getattr(self.crawler, "remarkwatch_stopping", False):
            raise DontCloseSpider

    def beat(self) -> None:
        """Every half second: check the configuration, say we are alive (and idle or not), and
        wake the engine when the shared frontier has work (Scrapy otherwise looks every 5 s)."""
        try:
            expected = self.redis.get(self.keys.config)
            expected = expected.decode() if expected else None
            refusing = None if expected in (None, self.fingerprint) else (
                f"configuration differs from the coordinator's (profiles or sources: {self.fingerprint[:12]} here, "
                f"{expected[:12]} there); restart this worker with the coordinator's config and profiles")
            if refusing and refusing != self.refusing:
                logger.error("worker %s refuses work: %s", self.worker_id, refusing)
            self.refusing = refusing
            engine = self.crawler.engine
            idle = engine.spider_is_idle() if engine is not None and engine.spider is not None else True
            scheduler = getattr(self, "cluster_scheduler", None)
            state = {"id": self.worker_id, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time(),
                     "started": self.started, "pages": self.pages, "popped": getattr(scheduler, "popped", 0),
                     "idle": bool(idle) and not (engine is not None and engine.downloader.active),
                     "refusing": self.refusing, "fingerprint": self.fingerprint}
            self.redis.set(self.keys.worker(self.worker_id), json.dumps(state), ex=WORKER_TTL_S)
            if not self.refusing and engine is not None and not engine.downloader.active \
                    and self.redis.zcard(self.keys.frontier) > 0:
                request = scheduler.queue.pop() if scheduler is not None else None
                if request is not None:
                    request.dont_filter = True      # already through the duplicate filter once
                    engine.crawl(request)
        except Exception as exc:  # noqa: BLE001 (Redis away for a moment: the next beat tries again)
            logger.warning("worker %s: heartbeat failed: %s", self.worker_id, exc)

    # The pass context of a source, published by the coordinator for each pass.
    def context(self, source_name: str):
        from remarkwatch.crawler.spiders.remarks import RemarksSpider

        pass_id = (self.redis.get(self.keys.current_pass) or b"").decode()
        cached = self._contexts.get(source_name)
        if cached is not None and cached[0] == pass_id:
            return cached[1]
        source = self.sources.get(source_name)
        if source is None:
            raise ValueError(f"a request for source {source_name!r}, which this worker's config does not have")
        raw = self.redis.get(self.keys.context(source_name))
        published = json.loads(raw) if raw else {}
        spider = RemarksSpider(
            source_name=source.name, start_urls=list(source.start_urls), allowed_domains=list(source.allowed_domains),
            profile=source.profile, max_listing_pages=source.max_listing_pages,
            known_urls=published.get("known", []), skip_urls=frozenset(published.get("skip", [])),
            checked=published.get("checked") or {}, signals_since=published.get("since"),
            sink=self.sink, on_problem=lambda message, s=source_name: self.emit("problem", s, message=message),
            on_listing=lambda ok, s=source_name: self.emit("listing", s, ok="1" if ok else "0"),
            on_signal=lambda kind, url, s=source_name: self.emit("signal", s, kind=kind, url=url),
        )
        spider.crawler = self.crawler
        self._contexts[source_name] = (pass_id, spider)
        return spider

    def sink(self, capture: Capture) -> None:
        self.pages += 1
        self.redis.xadd(self.keys.stream, capture_to_entry(capture))

    def emit(self, entry_type: str, source: str, **fields) -> None:
        self.redis.xadd(self.keys.stream, {"type": entry_type, "source": source, **fields})

    def request_scheduled(self, request, spider=None):
        source = request.meta.get("rw_source")
        if source in self.sources:
            self.context(source).request_scheduled(request)

    def _relay(self, source: str, output):
        delay = self.sources[source].delay_s
        for item in output or ():
            if isinstance(item, scrapy.Request):
                item.meta.setdefault("rw_source", source)
                item.meta.setdefault("rw_delay", delay)
            yield item

    def _run(self, name: str, response, kwargs):
        source = response.meta["rw_source"]
        return self._relay(source, getattr(self.context(source), name)(response, **kwargs))

    def _fail(self, name: str, failure):
        source = failure.request.meta["rw_source"]
        return self._relay(source, getattr(self.context(source), name)(failure))

    def parse_listing(self, response, **kwargs):
        return self._run("parse_listing", response, kwargs)

    def parse_sitemap(self, response, **kwargs):
        return self._run("parse_sitemap", response, kwargs)

    def parse_rest(self, response, **kwargs):
        return self._run("parse_rest", response, kwargs)

    def parse_feed(self, response, **kwargs):
        return self._run("parse_feed", response, kwargs)

    async def parse_article(self, response, **kwargs):
        # An article yields only its capture (no requests to relay); it is judged in process.
        async for item in self.context(response.meta["rw_source"]).parse_article(response, **kwargs):
            yield item

    def listing_failed(self, failure):
        return self._fail("listing_failed", failure)

    def signal_failed(self, failure):
        return self._fail("signal_failed", failure)

    def article_failed(self, failure):
        return self._fail("article_failed", failure)
