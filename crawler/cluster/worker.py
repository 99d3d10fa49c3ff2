"""The worker side of the clustered mode: Scrapy processes on any number of machines sharing one
request frontier in Redis (scrapy-redis's scheduler, queue and duplicate filter), pushing every
capture to a Redis Stream that the coordinator's archive writer reads. Workers never open the
archive.

What is ours around scrapy-redis, and why:
- Requests travel as JSON (`JsonPriorityQueue`), not scrapy-redis's default pickle: anyone who
  can write to the Redis would otherwise run code on every worker.
- One spider serves every source (`ClusterSpider`): each request carries its source's name in
  `meta["rw_source"]`, and the callbacks are the single-machine spider's own, run on a
  per-source `RemarksSpider` built from the pass context the coordinator published. So a
  cluster crawl extracts and judges pages exactly as a single-process one.
- Politeness is global (`RedisPacer`): the per-host delay, robots.txt Crawl-delay and any
  Retry-After back-off are one reservation per host in Redis, taken with the Redis server's own
  clock, so four workers ask a host no more often than one would.
- Scrapy 2.13+ starts crawls with the async `start()`, which scrapy-redis's `RedisSpider` (built
  on the removed `start_requests`) does not implement; we use its scheduler, queue and duplicate
  filter with our own spider, and seed the frontier from the coordinator.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import asdict
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from remarkwatch.crawler.items import Capture, Extracted
from remarkwatch.crawler.middlewares.politeness import Reachability

logger = logging.getLogger(__name__)
DEFAULT_PREFIX = "remarkwatch"
HEARTBEAT_S = 0.5
WORKER_TTL_S = 3          # a worker silent this long (six heartbeats) is gone: killed, partitioned
CALLBACKS = ("parse_listing", "parse_sitemap", "parse_rest", "parse_feed", "parse_article",
             "listing_failed", "signal_failed", "article_failed")


class Keys:
    def __init__(self, prefix: str = DEFAULT_PREFIX):
        self.prefix = prefix
        self.frontier = f"{prefix}:frontier"
        self.dupefilter = f"{prefix}:dupefilter"
        self.stream = f"{prefix}:captures"
        self.group = "archive-writer"
        self.current_pass = f"{prefix}:pass"
        self.config = f"{prefix}:config"

    def context(self, source: str) -> str:
        return f"{self.prefix}:context:{source}"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    def pace(self, host: str) -> tuple[str, str]:
        return f"{self.prefix}:pace:next:{host}", f"{self.prefix}:pace:backoff:{host}"


# --- requests as JSON --------------------------------------------------------------------------

def request_to_json(request) -> dict:
    meta = {}
    for key, value in request.meta.items():
        if key.startswith("_") or key in ("download_slot", "download_latency", "download_maxsize"):
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        meta[key] = value
    return {
        "url": request.url, "method": request.method, "priority": request.priority,
        "dont_filter": request.dont_filter, "flags": list(request.flags),
        "headers": [[k.decode("latin-1"), [v.decode("latin-1") for v in vs]] for k, vs in request.headers.items()],
        "body": base64.b64encode(request.body).decode() if request.body else "",
        "callback": getattr(request.callback, "__name__", None), "errback": getattr(request.errback, "__name__", None),
        "cb_kwargs": request.cb_kwargs, "meta": meta,
    }


def request_from_json(data: dict, spider) -> scrapy.Request:
    def method(name):
        if name is None:
            return None
        if name not in CALLBACKS:
            raise ValueError(f"unknown callback {name!r} in a frontier request")
        return getattr(spider, name)

    headers = {k: vs for k, vs in data.get("headers", [])}
    return scrapy.Request(
        data["url"], callback=method(data.get("callback")), errback=method(data.get("errback")),
        method=data.get("method", "GET"), headers=headers,
        body=base64.b64decode(data["body"]) if data.get("body") else b"", cb_kwargs=data.get("cb_kwargs") or {},
        meta=data.get("meta") or {}, priority=data.get("priority", 0), dont_filter=data.get("dont_filter", False),
        flags=data.get("flags") or [],
    )


class JsonPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue, with requests stored as JSON (never pickle), taken host by
    host in turn within one priority: each request's score counts the requests of its host
    pushed before it. A sorted set orders equal scores by member (by URL), which handed the
    workers one host's pages after another, each host paced and the rest idle; a random order
    still let the hosts with most left fill every slot of a worker."""

    def push(self, request):
        host = urlsplit(request.url).netloc
        turn = self.server.hincrby(self.key + ":turns", host, 1)
        self.server.zadd(self.key, {self._encode_request(request): -request.priority * 1e9 + turn})

    def _encode_request(self, request):
        return json.dumps(request_to_json(request), separators=(",", ":")).encode()

    def _decode_request(self, encoded_request):
        return request_from_json(json.loads(encoded_request), self.spider)


class RedirectAwareRedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared duplicate filter, letting redirect hops through as the
    single-machine one does (crawler/dupefilter.py)."""

    def request_seen(self, request) -> bool:
        if request.meta.get("redirect_urls"):
            return False
        return super().request_seen(request)


class ClusterScheduler(Scheduler):
    """scrapy-redis's scheduler, counting what this worker took, and taking nothing while the
    worker refuses work (its configuration differs from the coordinator's)."""

    popped = 0

    def open(self, spider):
        super().open(spider)
        spider.cluster_scheduler = self

    def close(self, reason):
        pass        # the frontier is shared: one worker stopping never clears it

    def next_request(self):
        if getattr(self.spider, "refusing", None):
            return None
        request = super().next_request()
        if request is not None:
            self.popped += 1
        return request

    def has_pending_requests(self) -> bool:
        return not getattr(self.spider, "refusing", None) and super().has_pending_requests()


# --- global politeness ---------------------------------------------------------------------------

RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local start = now
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > start then start = nxt end
local back = tonumber(redis.call('GET', KEYS[2]) or '0')
if back > start then start = back end
local interval = tonumber(ARGV[1])
if interval > 0 then
  redis.call('SET', KEYS[1], string.format('%.6f', start + interval), 'EX', math.ceil(start - now + interval) + 60)
end
return string.format('%.6f', start - now)
"""
BACK_OFF = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local back = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > back then redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', math.ceil(tonumber(ARGV[1])) + 60) end
return 1
"""

LEFT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local back = tonumber(redis.call('GET', KEYS[1]) or '0')
if back > now then return string.format('%.6f', back - now) end
return '0'
"""


class RedisPacer(Reachability):
    """The single-machine Pacer's interface (crawler/politeness.py), with each host's next start
    and back-off held in Redis for every worker at once."""

    def __init__(self, redis, keys: Keys, max_wait_s: float):
        from remarkwatch.crawler.middlewares.politeness import MAX_BACKOFF_S

        self.redis, self.keys = redis, keys
        self.max_wait_s = max_wait_s
        self.max_backoff_s = MAX_BACKOFF_S
        self.given_up: dict[str, float] = {}
        self.failures: dict[str, int] = {}       # unreachable hosts are judged by each worker
        self.unreachable: dict[str, str] = {}
        self.stopping = False
        self._reserve = redis.register_script(RESERVE)
        self._back_off = redis.register_script(BACK_OFF)
        self._left = redis.register_script(LEFT)

    def reserve(self, host: str, interval_s: float) -> float:
        return float(self._reserve(keys=list(self.keys.pace(host)), args=[interval_s]))

    def back_off(self, host: str, seconds: float) -> bool:
        if seconds > self.max_wait_s:
            self.given_up[host] = seconds
            return False
        self._back_off(keys=[self.keys.pace(host)[1]], args=[min(seconds, self.max_backoff_s)])
        return True

    def backoff_left(self, host: str) -> float:
        return float(self._left(keys=[self.keys.pace(host)[1]]))

    async def wait(self, seconds: float) -> None:
        import asyncio

        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            await asyncio.sleep(min(1.0, end - time.monotonic()))


# --- captures on the stream ----------------------------------------------------------------------

def capture_to_entry(capture: Capture) -> dict:
    data = asdict(capture)
    body = data.pop("body") or b""
    data.pop("prepared", None)      # a worker's pool is off: the writer computes it
    return {"type": "capture", "source": capture.source, "key": uuid.uuid4().hex,
            "capture": json.dumps(data, ensure_ascii=False), "body": body}


def capture_from_entry(entry: dict) -> Capture:
    data = json.loads(entry[b"capture"])
    fields = data.pop("fields")
    capture = Capture(**{**data, "body": entry.get(b"body", b"")})
    capture.fields = Extracted(**fields) if fields is not None else None
    if capture.headers is not None:
        capture.headers = [tuple(pair) for pair in capture.headers]
    return capture


# --- the worker's spider --------------------------------------------------------------------------

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


def redis_pacer(crawler, max_wait_s: float) -> RedisPacer:
    """The pacer of a cluster worker (`REMARKWATCH_PACER`): one reservation per host across every
    worker, in Redis."""
    import redis

    return RedisPacer(redis.Redis.from_url(crawler.settings["REMARKWATCH_REDIS_URL"]),
                      Keys(crawler.settings.get("REMARKWATCH_REDIS_PREFIX") or "remarkwatch"), max_wait_s)
