"""The clustered mode's coordinator and its archive writer, and the `remarkwatch worker` process.

A pass (`crawl`/`run` with a [cluster] config): the coordinator decides what is due exactly as a
single-machine pass does (listings, due re-checks with their validators, signals), publishes each
source's pass context, pushes the start requests into the shared frontier, and then writes the
archive from the capture stream: one transaction per capture (outbox rows in it), the stream
entry acknowledged only after the commit, and each capture's worker-given key stored with it so
an entry delivered twice is written once. The pass ends when the frontier is empty, every live
worker is idle and has taken nothing new for a while, and the stream is drained.

A worker killed mid-pass loses at most what it had taken: those documents were not checked, so
they stay due and the next pass asks for them again. A writer killed mid-pass leaves its read
but unacknowledged entries pending in the stream's consumer group; the next writer reads them
first. Redis restarted mid-pass (with its append-only file on): the writer keeps trying for
`worker_wait_s`, then the pass fails cleanly; the archive is written one transaction per capture.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass

from remarkwatch.crawler.cluster.worker import WORKER_TTL_S, Keys, JsonPriorityQueue, capture_from_entry
from remarkwatch.crawler.extract import EXTRACTOR_VERSION
from remarkwatch import __version__
from remarkwatch.config import Config
from remarkwatch.errors import ConfigError, PassFailed
from remarkwatch.passes.local import MIN_DOWNLOAD_DELAY_S, CrawlPass, PassResult, outcome_of
from remarkwatch.storage import archive, captures

logger = logging.getLogger(__name__)
STABLE_S = 1.0           # the frontier empty and every worker idle for this long: the pass is done


def connect(config: Config):
    """A Redis client for the configured cluster; ConfigError (exit 2) when it cannot be reached."""
    try:
        import redis
    except ImportError:
        raise ConfigError("the [cluster] mode needs the cluster extra: pip install 'remarkwatch[cluster]'") from None
    client = redis.Redis.from_url(config.cluster.redis_url, socket_timeout=10, socket_connect_timeout=5,
                                  health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis at {_safe_url(config.cluster.redis_url)} ([cluster] redis_url or "
                          f"$REMARKWATCH_REDIS_URL): {exc}") from None
    return client


def _safe_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return url.replace(parts.password, "***") if parts.password else url


def fingerprint(config: Config) -> str:
    """What a worker must share with the coordinator: the extractor and every profile and
    source it may be asked to read."""
    sources = [{"name": s.name, "profile": s.profile.name, "selectors": {k: list(v) for k, v in s.profile.selectors.items()},
                "eras": [e.name for e in s.profile.eras], "start_urls": list(s.start_urls),
                "allowed": list(s.allowed_domains), "delay": s.delay_s, "pages": s.max_listing_pages}
               for s in config.sources]
    blob = json.dumps({"remarkwatch": __version__, "extractor": EXTRACTOR_VERSION, "sources": sources}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def live_workers(redis, keys: Keys) -> list[dict]:
    found = []
    for key in redis.scan_iter(match=keys.worker("*"), count=100):
        raw = redis.get(key)
        if raw:
            found.append(json.loads(raw))
    return sorted(found, key=lambda w: w["id"])


def backlog(redis, keys: Keys) -> dict:
    """The stream's entries not yet written (lag) and read but not acknowledged (pending), and
    the frontier's length."""
    info = {"frontier": redis.zcard(keys.frontier), "stream": redis.xlen(keys.stream), "lag": 0, "pending": 0}
    try:
        for group in redis.xinfo_groups(keys.stream):
            if group["name"] in (keys.group, keys.group.encode()):
                info["lag"] = group.get("lag") or 0
                info["pending"] = group.get("pending") or 0
    except Exception:  # noqa: BLE001 (no stream yet)
        pass
    return info


@dataclass
class _Seeder:
    """Builds the start requests of one source exactly as the single-machine spider does."""
    keys: Keys

    def requests(self, source, known, skip, checked, since) -> list:
        from remarkwatch.crawler.spiders.remarks import RemarksSpider

        spider = RemarksSpider(source_name=source.name, start_urls=list(source.start_urls),
                               allowed_domains=list(source.allowed_domains), profile=source.profile,
                               max_listing_pages=source.max_listing_pages, known_urls=known, skip_urls=skip,
                               checked=checked, signals_since=since)

        async def collect():
            return [request async for request in spider.start()]

        found = asyncio.run(collect())
        for request in found:
            request.meta["rw_source"] = source.name
            request.meta["rw_delay"] = source.delay_s
        return found


class _Encoder:
    """The frontier's queue, used only to push (its spider: any object with our callbacks)."""

    def __init__(self, redis, keys: Keys):
        from remarkwatch.crawler.cluster.worker import ClusterSpider

        class _Names:
            name = ClusterSpider.name
        self.queue = JsonPriorityQueue(redis, _Names(), keys.frontier)

    def push(self, request) -> None:
        self.queue.push(request)


class ClusterPass(CrawlPass):
    """One pass run by the workers, written here. Same sources, contexts and records as
    CrawlPass; no Scrapy in this process."""

    def __init__(self, config: Config, db, sources, progress=None, full: bool = False, redis=None):
        super().__init__(config, db, sources, progress, full=full)
        self.redis = redis or connect(config)
        self.keys = Keys(config.cluster.key_prefix)
        self.stop_requested = False
        self.consumer = "writer"

    def run(self) -> PassResult:
        try:
            return self._cluster_pass()
        finally:
            self._writer.shutdown(wait=True)

    def _cluster_pass(self) -> PassResult:
        import redis as redis_module

        started = time.monotonic()
        run_id = self._write(archive.start_run, self.db, [s.name for s in self.sources], self.clock()).result()
        self.result = result = PassResult(run_id)
        by_name = {s.name: s for s in self.sources}
        handlers = {s.name: self._spider_args(s, result) for s in self.sources}
        self._ensure_group()
        # Entries a killed writer had read but not written come first.
        self._drain(handlers, by_name, result, pending=True)
        self.redis.delete(self.keys.frontier, self.keys.frontier + ":turns", self.keys.dupefilter)
        self.redis.set(self.keys.config, fingerprint(self.config))
        self.redis.set(self.keys.current_pass, f"{run_id}-{uuid.uuid4().hex[:8]}")
        seeder, encoder = _Seeder(self.keys), _Encoder(self.redis, self.keys)
        for source in self.sources:
            known, skip, checked, since, baseline = self._write(self._start_source, source).result()
            self._channels[source.name] = () if baseline else self.config.alerts
            self.redis.set(self.keys.context(source.name), json.dumps(
                {"known": known, "skip": sorted(skip), "checked": checked, "since": since}))
            for request in seeder.requests(source, known, skip, checked, since):
                encoder.push(request)
        interrupted, failure = False, None
        quiet_since, seen, no_worker_since = None, None, time.monotonic()
        redis_down_since = None
        while True:
            if self.stop_requested:
                interrupted = True
                break
            try:
                got = self._drain(handlers, by_name, result, block_ms=200)
                workers = [w for w in live_workers(self.redis, self.keys) if not w.get("refusing")]
                frontier = self.redis.zcard(self.keys.frontier)
                redis_down_since = None
            except redis_module.RedisError as exc:
                redis_down_since = redis_down_since or time.monotonic()
                if time.monotonic() - redis_down_since > self.config.cluster.worker_wait_s:
                    failure = f"Redis unreachable for {self.config.cluster.worker_wait_s:.0f} s: {exc}"
                    break
                time.sleep(0.5)
                continue
            if self._fatal is not None:
                break
            now = time.monotonic()
            if workers:
                no_worker_since = None
            elif no_worker_since is None:
                no_worker_since = now
            if no_worker_since is not None and now - no_worker_since > self.config.cluster.worker_wait_s:
                failure = (f"no live `remarkwatch worker` for {self.config.cluster.worker_wait_s:.0f} s "
                           f"(frontier: {frontier} requests waiting); start workers with this config")
                break
            state = (frontier, tuple((w["id"], w["popped"]) for w in workers))
            settled = workers and frontier == 0 and not got and all(w["idle"] for w in workers)
            if settled and state == seen:
                if quiet_since is not None and now - quiet_since >= STABLE_S:
                    break
            else:
                quiet_since = now if settled else None
            seen = state if settled else None
        if failure:
            result.problems.append(failure)
            self.progress.problem(failure)
        for source in self.sources:
            if failure is None and not interrupted and self._fatal is None:
                self._write(self._source_done, source, result).result()
            outcome = "interrupted" if interrupted else "failed" if (
                failure or self._fatal or source.name in result.failed_sources) else "ok"
            self._write(self._end_source, source, outcome).result()
        result.seconds = time.monotonic() - started
        result.outcome = "failed" if failure else outcome_of(
            result, fatal=self._fatal is not None, interrupted=interrupted, crawled=len(self.sources))
        self.progress.finish()
        self._write(self._finish, result).result()
        if self._fatal is not None:
            raise PassFailed(f"{self.config.db_path}: cannot write to the database: {self._fatal}")
        return result

    def _ensure_group(self) -> None:
        import redis as redis_module

        try:
            self.redis.xgroup_create(self.keys.stream, self.keys.group, id="0", mkstream=True)
        except redis_module.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _drain(self, handlers, by_name, result, *, pending: bool = False, block_ms: int | None = None) -> int:
        """Write the stream's entries (this writer's pending ones first when `pending`); each is
        acknowledged after its commit. Returns how many were handled."""
        handled = 0
        while True:
            reply = self.redis.xreadgroup(self.keys.group, self.consumer, {self.keys.stream: "0" if pending else ">"},
                                          count=200, block=None if pending else block_ms)
            entries = reply[0][1] if reply else []
            if not entries:
                return handled
            for entry_id, fields in entries:
                self._handle(fields, handlers, by_name, result)
                self.redis.xack(self.keys.stream, self.keys.group, entry_id)
                self.redis.xdel(self.keys.stream, entry_id)
                handled += 1
            if not pending:
                block_ms = None     # more may be waiting: read on without blocking, return when none

    def _handle(self, fields: dict, handlers, by_name, result) -> None:
        kind = fields.get(b"type", b"").decode()
        name = fields.get(b"source", b"").decode()
        source = by_name.get(name) or next((s for s in self.config.sources if s.name == name), None)
        if source is None:
            logger.warning("a stream entry for source %r, which this config does not have: dropped", name)
            return
        own = handlers.get(name) or self._spider_args(source, result)
        if kind == "capture":
            capture = capture_from_entry(fields)
            capture.capture_key = fields.get(b"key", b"").decode() or None
            if capture.capture_key and captures.key_seen(self.db, capture.capture_key):
                return          # written before the writer was killed, delivered again: once is enough
            self._write(self._sink, source, capture, result, own["on_problem"]).result()
        elif kind == "problem":
            own["on_problem"](fields.get(b"message", b"").decode())
        elif kind == "listing":
            own["on_listing"](fields.get(b"ok") == b"1")
        elif kind == "signal":
            own["on_signal"](fields.get(b"kind", b"").decode(), fields.get(b"url", b"").decode())


# --- the worker process ---------------------------------------------------------------------------

def worker_settings(config: Config, log_level: str) -> dict:
    from remarkwatch.crawler.settings import build_settings

    settings = build_settings(user_agent=config.user_agent, concurrency=config.concurrency, log_level=log_level,
                              max_page_bytes=config.max_page_bytes)
    from urllib.parse import urlsplit

    hosts = {urlsplit(u).netloc for s in config.sources for u in s.start_urls}
    settings.update({
        # A request waiting out its host's delay holds one of these slots: with a few per host,
        # a host with much left to fetch cannot starve the others (16 slots on 20 hosts gave
        # 12 pages/s where politeness allows 100).
        "CONCURRENT_REQUESTS": min(512, max(16, settings["CONCURRENT_REQUESTS"], 4 * len(hosts))),
        "SCHEDULER": "remarkwatch.crawler.cluster.worker.ClusterScheduler",
        "SCHEDULER_QUEUE_CLASS": "remarkwatch.crawler.cluster.worker.JsonPriorityQueue",
        "SCHEDULER_QUEUE_KEY": Keys(config.cluster.key_prefix).frontier,
        "SCHEDULER_DUPEFILTER_KEY": Keys(config.cluster.key_prefix).dupefilter,
        "DUPEFILTER_CLASS": "remarkwatch.crawler.cluster.worker.RedirectAwareRedisDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "REDIS_URL": config.cluster.redis_url,
        "REMARKWATCH_REDIS_URL": config.cluster.redis_url,
        "REMARKWATCH_REDIS_PREFIX": config.cluster.key_prefix,
        "REMARKWATCH_PACER": "remarkwatch.crawler.cluster.worker.redis_pacer",
        # Delays are global (one reservation per host in Redis), never per process; a millisecond
        # here keeps Scrapy's per-host concurrency (see MIN_DOWNLOAD_DELAY_S).
        "DOWNLOAD_DELAY": MIN_DOWNLOAD_DELAY_S,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_INSTALL_ROOT_HANDLER": False,
    })
    return settings


def run_worker(config: Config, *, log_level: str = "ERROR", worker_id: str | None = None) -> int:
    """Run one worker until SIGTERM/SIGINT: fetch what the frontier holds, push every capture."""
    import signal as signals_module

    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.reactor import install_reactor, is_reactor_installed

    from remarkwatch.crawler.cluster.worker import ClusterSpider

    redis = connect(config)
    keys = Keys(config.cluster.key_prefix)
    worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
    if not is_reactor_installed():
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    logging.getLogger("scrapy").setLevel(log_level)
    process = CrawlerProcess(worker_settings(config, log_level))
    logging.getLogger("scrapy").setLevel(log_level)
    crawler = process.create_crawler(ClusterSpider)
    from twisted.internet import reactor

    def stop(signum, frame):
        crawler.remarkwatch_stopping = True
        logger.warning("worker %s: %s received, stopping (what it holds stays due for the next pass)", worker_id,
                       signals_module.Signals(signum).name)
        reactor.callFromThread(process.stop)

    process.crawl(crawler, sources={s.name: s for s in config.sources}, redis=redis, keys=keys,
                  fingerprint=fingerprint(config), worker_id=worker_id)
    previous = {sig: signals_module.signal(sig, stop) for sig in (signals_module.SIGTERM, signals_module.SIGINT)}
    try:
        process.start(install_signal_handlers=False)
    finally:
        for sig, handler in previous.items():
            signals_module.signal(sig, handler)
        redis.delete(keys.worker(worker_id))
    return 0


def status(config: Config) -> dict:
    """The workers and the backlog, for `remarkwatch status`."""
    redis = connect(config)
    keys = Keys(config.cluster.key_prefix)
    now = time.time()
    workers = [{**w, "seconds_since_heartbeat": round(now - w["at"], 1)} for w in live_workers(redis, keys)]
    return {"redis_url": _safe_url(config.cluster.redis_url), "workers": workers, "backlog": backlog(redis, keys),
            "worker_ttl_s": WORKER_TTL_S}

