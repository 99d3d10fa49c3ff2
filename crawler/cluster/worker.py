"""The worker side of the clustered mode: Scrapy processes on any number of machines sharing one
request frontier in Redis (frontier.py), pushing every capture to a Redis Stream (stream.py) that
the coordinator's archive writer reads, paced together per host (pacing.py). Workers never open
the archive.

One spider serves every source (`ClusterSpider`): each request carries its source's name in
`meta["rw_source"]`, and the callbacks are the single-machine spider's own, run on a per-source
`RemarksSpider` built from the pass context the coordinator published. So a cluster crawl
extracts and judges pages exactly as a single-process one, and keeps to each request's own
source's hosts (`offsite_scope`, read by the offsite middleware). What it reads from Redis and
writes there is signed with the cluster secret (signing.py).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from remarkwatch.crawler.cluster.frontier import Keys, dead_letter
from remarkwatch.crawler.cluster.signing import BadSignature, Signer
from remarkwatch.crawler.cluster.stream import capture_to_entry
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.spiders.sitesignals import CALLBACKS as SIGNAL_CALLBACKS
from remarkwatch.crawler.spiders.sitesignals import SignalCache

logger = logging.getLogger(__name__)
HEARTBEAT_S = 0.5
WORKER_TTL_S = 3          # a worker silent this long (six heartbeats) is gone: killed, partitioned


class ClusterSpider(scrapy.Spider):
    """One spider for every source; each callback runs the single-machine spider's own on the
    request's source (see the module docstring)."""

    name = "remarkwatch-cluster"

    def __init__(self, *, sources: dict, redis, keys: Keys, fingerprint: str, worker_id: str,
                 signer: Signer | None = None, shared: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.sources = sources            # name -> monitor.config.Source
        self.redis, self.keys = redis, keys
        self.fingerprint = fingerprint
        self.shared = shared or {}        # what the fingerprint is made of, to name what differs
        self.signer = signer or Signer(None)
        self.worker_id = worker_id
        self.refusing: str | None = None
        self.current_pass: str | None = None
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
            refusing = self.differs(self.redis.get(self.keys.config))
            if refusing and refusing != self.refusing:
                logger.error("worker %s refuses work: %s", self.worker_id, refusing)
            self.refusing = refusing
            engine = self.crawler.engine
            idle = engine.spider_is_idle() if engine is not None and engine.spider is not None else True
            scheduler = getattr(self, "cluster_scheduler", None)
            state = {"id": self.worker_id, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time(),
                     "started": self.started, "pages": self.pages, "popped": getattr(scheduler, "popped", 0),
                     "idle": bool(idle) and not (engine is not None and engine.downloader.active),
                     "refusing": self.refusing, "fingerprint": self.fingerprint,
                     "refused": getattr(getattr(scheduler, "queue", None), "refused", 0)}   # forged, dead-lettered
            self.redis.set(self.keys.worker(self.worker_id), json.dumps(state), ex=WORKER_TTL_S)
            if not self.refusing and engine is not None and not engine.downloader.active \
                    and self.redis.zcard(self.keys.frontier) > 0:
                request = scheduler.queue.pop() if scheduler is not None else None
                if request is not None:
                    request.dont_filter = True      # already through the duplicate filter once
                    engine.crawl(request)
        except Exception as exc:  # noqa: BLE001 (Redis away for a moment: the next beat tries again)
            logger.warning("worker %s: heartbeat failed: %s", self.worker_id, exc)

    def differs(self, published: bytes | None) -> str | None:
        """Why this worker refuses work, or None: the coordinator published (JSON) its
        configuration's fingerprint and what it is made of, so the message names what differs."""
        if not published:
            return None
        try:
            theirs = json.loads(published)
            expected, shared = theirs["fingerprint"], theirs["shared"]
        except (ValueError, KeyError, TypeError):
            expected, shared = published.decode(errors="replace"), {}
        if expected == self.fingerprint:
            return None
        found = differences(self.shared, shared) or [f"fingerprint ({self.fingerprint[:12]} here, "
                                                     f"{expected[:12]} there)"]
        listed = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
        # What the coordinator published is read from Redis: no control or direction characters.
        listed = "".join(c if c.isprintable() else "?" for c in listed)
        return (f"configuration differs from the coordinator's: {listed}; restart this worker with the "
                f"coordinator's config, profiles and cluster secret")

    def is_current_pass(self, pass_id) -> bool:
        """Whether a frontier request belongs to the pass under way (the coordinator withdraws the
        pass id when a pass ends, so what a failed pass left is never fetched outside it)."""
        if pass_id and pass_id == self.current_pass:
            return True
        current = self.redis.get(self.keys.current_pass)
        self.current_pass = current.decode() if current else None
        return bool(pass_id) and pass_id == self.current_pass

    def offsite_scope(self, request):
        """The hosts `request` may go to: its source's (allowed hosts, start URLs), or None for a
        request of no source this worker has. robots.txt, asked by Scrapy for a request's host,
        may be on any source's hosts."""
        source = self.sources.get(request.meta.get("rw_source"))
        if source is not None:
            return source.allowed_domains, source.start_urls
        if request.meta.get("dont_obey_robotstxt") and urlsplit(request.url).path == "/robots.txt":
            return ([d for s in self.sources.values() for d in s.allowed_domains],
                    [u for s in self.sources.values() for u in s.start_urls])
        return None

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
        try:
            published = json.loads(self.signer.unwrap(raw)) if raw else {}
        except (BadSignature, ValueError) as exc:
            logger.error("worker %s: the pass context of %s is refused (%s): read without it", self.worker_id,
                         source_name, exc)
            dead_letter(self.redis, self.keys, f"pass context: {exc}", _from="context", source=source_name)
            published = {}
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
        self.redis.xadd(self.keys.stream, self.signer.sign_fields(capture_to_entry(capture)))

    def emit(self, entry_type: str, source: str, **fields) -> None:
        self.redis.xadd(self.keys.stream, self.signer.sign_fields({"type": entry_type, "source": source, **fields}))

    def request_scheduled(self, request, spider=None):
        source = request.meta.get("rw_source")
        if source in self.sources:
            self.context(source).request_scheduled(request)

    def _relay(self, meta: dict, output):
        source = meta["rw_source"]
        delay = self.sources[source].delay_s
        for item in output or ():
            if isinstance(item, scrapy.Request):
                item.meta.setdefault("rw_source", source)
                item.meta.setdefault("rw_delay", delay)
                item.meta.setdefault("rw_pass", meta.get("rw_pass"))
            yield item

    def _run(self, name: str, response, kwargs):
        source = response.meta["rw_source"]
        return self._relay(response.meta, getattr(self.context(source), name)(response, **kwargs))

    def _shared(self, name: str, response, kwargs) -> list:
        """A site's signal, fetched once for the sources of the pass that need it (`rw_source` and
        `rw_also`, as the coordinator seeded it): each source's callback reads it, with the pass's
        attribution, and a signal they follow (a child sitemap, a REST page) is one request again."""
        out, followed = [], {}
        cache = SignalCache()
        for source in [response.meta["rw_source"], *response.meta.get("rw_also", ())]:
            if source not in self.sources:
                continue        # refused as any request of an unknown source is
            context = self.context(source)
            context.signal_cache = cache
            try:
                items = list(self._relay({**response.meta, "rw_source": source},
                                         getattr(context, name)(response, **kwargs)))
            finally:
                context.signal_cache = None
            out += [item for item in items if not fold_signal(item, source, followed)]
        for named, count in cache.dropped().items():      # counted by the coordinator's pass
            self.emit("dropped", response.meta["rw_source"], signal=named, count=str(count))
        return out + list(followed.values())

    def _fail(self, name: str, failure):
        source = failure.request.meta["rw_source"]
        return self._relay(failure.request.meta, getattr(self.context(source), name)(failure))

    def parse_listing(self, response, **kwargs):
        return self._run("parse_listing", response, kwargs)

    def parse_sitemap(self, response, **kwargs):
        return self._shared("parse_sitemap", response, kwargs)

    def parse_rest(self, response, **kwargs):
        return self._shared("parse_rest", response, kwargs)

    def parse_feed(self, response, **kwargs):
        return self._shared("parse_feed", response, kwargs)

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


def fold_signal(request, source: str, signals: dict) -> bool:
    """One request per signal URL for the sources that need it: True when `request` (of `source`) is
    a signal, then held in `signals` (URL -> request), or named in the `rw_also` of the one held."""
    if not isinstance(request, scrapy.Request) or getattr(request.callback, "__name__", None) not in SIGNAL_CALLBACKS:
        return False
    if request.url in signals:
        signals[request.url].meta["rw_also"].append(source)
    else:
        signals[request.url] = request
        request.meta["rw_also"] = []
    return True


def differences(ours, theirs, path: str = "") -> list[str]:
    """The keys whose values differ between two configuration summaries, with both values."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in theirs:
                found.append(f"{where} only here")
            elif key not in ours:
                found.append(f"{where} only on the coordinator")
            else:
                found += differences(ours[key], theirs[key], where)
        return found
    if ours == theirs:
        return []
    return [f"{path} ({_short(ours)} here, {_short(theirs)} there)"]


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
