"""The cluster's shared frontier in Redis: its key names, requests as JSON, and the scrapy-redis
scheduler, queue and duplicate filter around it.

Requests travel as JSON (`JsonPriorityQueue`), not scrapy-redis's default pickle: anyone who can
write to the Redis would otherwise run code on every worker. Each is signed with the cluster
secret (signing.py) and bounded in size; a worker takes only signed requests of its own sources,
and moves any other to the dead-letter stream. Scrapy 2.13+ starts crawls with the
async `start()`, which scrapy-redis's `RedisSpider` (built on the removed `start_requests`) does
not implement; we use its scheduler, queue and duplicate filter with our own spider
(worker.py), and the coordinator seeds the frontier.
"""
from __future__ import annotations

import base64
import json
import logging
from urllib.parse import urlsplit

import scrapy
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from remarkwatch.crawler.cluster.signing import Signer

logger = logging.getLogger(__name__)
DEFAULT_PREFIX = "remarkwatch"
MAX_REQUEST_BYTES = 1024 * 1024     # a frontier request is a few KB; a bigger one is not read, only dead-lettered
DEAD_MAX = 10_000                   # the dead-letter stream keeps about this many entries
# Takes the frontier's first request, or only its size and start when it is past the bound, so a
# worker never reads a forged 300 MB member.
POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local member = popped[1]
local size = string.len(member)
if size > tonumber(ARGV[1]) then return {'too_large', tostring(size), string.sub(member, 1, 200)} end
return {'ok', member}
"""
CALLBACKS = ("parse_listing", "parse_sitemap", "parse_rest", "parse_feed", "parse_article",
             "listing_failed", "signal_failed", "article_failed")


class Keys:
    def __init__(self, prefix: str = DEFAULT_PREFIX):
        self.prefix = prefix
        self.frontier = f"{prefix}:frontier"
        self.dupefilter = f"{prefix}:dupefilter"
        self.stream = f"{prefix}:captures"
        self.dead = f"{prefix}:captures:dead"     # entries the writer could not read, kept for a look
        self.group = "archive-writer"
        self.current_pass = f"{prefix}:pass"
        self.config = f"{prefix}:config"

    def context(self, source: str) -> str:
        return f"{self.prefix}:context:{source}"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    def pace(self, host: str) -> tuple[str, str]:
        return f"{self.prefix}:pace:next:{host}", f"{self.prefix}:pace:backoff:{host}"


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


class PassOver(Exception):
    """A signed frontier request of a pass that has ended (failed or interrupted): dropped."""


def dead_letter(redis, keys: "Keys", reason: str, **fields) -> None:
    """Keep what a worker or the writer refused in the dead-letter stream, with the reason."""
    redis.xadd(keys.dead, {**fields, "_error": reason[:300]}, maxlen=DEAD_MAX, approximate=True)


class JsonPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue, with requests stored as JSON (never pickle), taken host by
    host in turn within one priority: each request's score counts the requests of its host
    pushed before it. A sorted set orders equal scores by member (by URL), which handed the
    workers one host's pages after another, each host paced and the rest idle; a random order
    still let the hosts with most left fill every slot of a worker.

    Its spider provides `signer` (the cluster secret), `keys` and `sources` (the worker's); a
    request that is unsigned, badly signed, too large, unreadable or for a source the worker does
    not have is moved to the dead-letter stream, never fetched."""

    refused = 0

    def push(self, request):
        host = urlsplit(request.url).netloc
        turn = self.server.hincrby(self.key + ":turns", host, 1)
        self.server.zadd(self.key, {self._encode_request(request): -request.priority * 1e9 + turn})

    @property
    def _signer(self) -> Signer:
        return getattr(self.spider, "signer", None) or Signer(None)

    def _encode_request(self, request):
        return self._signer.wrap(json.dumps(request_to_json(request), separators=(",", ":")).encode())

    def _decode_request(self, encoded_request):
        data = json.loads(self._signer.unwrap(encoded_request))
        source = (data.get("meta") or {}).get("rw_source")
        sources = getattr(self.spider, "sources", None)
        if sources is not None and source not in sources:
            raise ValueError(f"a request for source {source!r}, which this worker's config does not have")
        current = getattr(self.spider, "is_current_pass", None)
        if current is not None and not current((data.get("meta") or {}).get("rw_pass")):
            raise PassOver(data.get("url"))
        return request_from_json(data, self.spider)

    def pop(self, timeout=0):
        """The first request this worker may fetch; the refused ones before it go to the dead letters."""
        while True:
            popped = self.server.eval(POP, 1, self.key, MAX_REQUEST_BYTES)
            if not popped:
                return None
            if popped[0] == b"too_large":
                self._refuse(f"a frontier request of {int(popped[1]):,} bytes, over {MAX_REQUEST_BYTES:,}", popped[2])
                continue
            try:
                return self._decode_request(popped[1])
            except PassOver as over:
                logger.info("a frontier request of a pass that is over is dropped: %s", str(over)[:200])
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                self._refuse(f"{type(exc).__name__}: {exc}", popped[1][:2000])

    def _refuse(self, reason: str, start: bytes) -> None:
        self.refused += 1
        keys = getattr(self.spider, "keys", None) or Keys(self.key.rsplit(":", 1)[0])
        logger.error("a frontier request was refused and moved to %s: %s", keys.dead, reason)
        dead_letter(self.server, keys, reason, _from="frontier", request=start)


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
