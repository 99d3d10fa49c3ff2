"""The `remarkwatch worker` process: one Scrapy crawler on the shared frontier, pushing every capture
to the stream, until SIGTERM/SIGINT (a normal stop, logged at INFO, that ends any politeness wait
at once). Its Scrapy components live in crawler/cluster/."""
from __future__ import annotations

import logging
import os
import socket

from remarkwatch.cluster.connection import cluster_signer, connect, redis_params
from remarkwatch.cluster.coordinator import fingerprint, shared_config
from remarkwatch.config import Config
from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.passes.local import MIN_DOWNLOAD_DELAY_S, stop_crawlers

logger = logging.getLogger(__name__)


def worker_settings(config: Config, log_level: str) -> dict:
    from remarkwatch.crawler.settings import build_settings

    settings = build_settings(user_agent=config.user_agent, concurrency=config.concurrency, log_level=log_level,
                              max_page_bytes=config.max_page_bytes)
    from urllib.parse import urlsplit

    hosts = {urlsplit(u).netloc for s in config.sources for u in s.start_urls}
    settings.update({
        # A request waiting out its host's delay holds one of these slots: with a few per host,
        # a host with much left to fetch cannot starve the others (16 slots on 20 hosts fell far
        # below what politeness allows: docs/performance.md).
        "CONCURRENT_REQUESTS": min(512, max(16, settings["CONCURRENT_REQUESTS"], 4 * len(hosts))),
        "SCHEDULER": "remarkwatch.crawler.cluster.frontier.ClusterScheduler",
        "SCHEDULER_QUEUE_CLASS": "remarkwatch.crawler.cluster.frontier.JsonPriorityQueue",
        "SCHEDULER_QUEUE_KEY": Keys(config.cluster.key_prefix).frontier,
        "SCHEDULER_DUPEFILTER_KEY": Keys(config.cluster.key_prefix).dupefilter,
        "DUPEFILTER_CLASS": "remarkwatch.crawler.cluster.frontier.RedirectAwareRedisDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "REDIS_URL": config.cluster.redis_url,
        "REDIS_PARAMS": redis_params(),
        "REMARKWATCH_REDIS_URL": config.cluster.redis_url,
        "REMARKWATCH_REDIS_PREFIX": config.cluster.key_prefix,
        "REMARKWATCH_PACER": "remarkwatch.crawler.cluster.pacing.redis_pacer",
        # Delays are global (one reservation per host in Redis), never per process; a millisecond
        # here keeps Scrapy's per-host concurrency (see MIN_DOWNLOAD_DELAY_S).
        "DOWNLOAD_DELAY": MIN_DOWNLOAD_DELAY_S,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_INSTALL_ROOT_HANDLER": False,
    })
    return settings


def stop_handler(process, crawler, reactor, worker_id: str):
    """The worker's SIGTERM/SIGINT handler: the first stops the crawl gracefully, at any moment of
    it (even while Scrapy still opens the spider: see `stop_crawlers`); a second stops at once.
    What the worker holds stays due for the next pass either way."""
    import signal as signals_module

    from remarkwatch.crawler.middlewares.politeness import pacer_of

    def stop(signum, frame):
        name = signals_module.Signals(signum).name
        if getattr(crawler, "remarkwatch_stopping", False):
            logger.warning("worker %s: a second %s: stopping now", worker_id, name)
            reactor.callFromThread(reactor.stop)
            return
        crawler.remarkwatch_stopping = True
        # A wait for a host's delay, Crawl-delay or Retry-After ends now, not after delay_s.
        pacer_of(crawler).stopping = True
        logger.info("worker %s: %s received, stopping (what it holds stays due for the next pass)", worker_id, name)
        reactor.callFromThread(stop_crawlers, process, reactor)
    return stop


def run_worker(config: Config, *, log_level: str = "ERROR", worker_id: str | None = None) -> int:
    """Run one worker until SIGTERM/SIGINT: fetch what the frontier holds, push every capture."""
    import signal as signals_module

    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.reactor import install_reactor, is_reactor_installed

    from remarkwatch.crawler.cluster.worker import ClusterSpider

    signer = cluster_signer(config)
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

    process.crawl(crawler, sources={s.name: s for s in config.sources}, redis=redis, keys=keys,
                  fingerprint=fingerprint(config, signer), worker_id=worker_id, signer=signer,
                  shared=shared_config(config, signer))
    stop = stop_handler(process, crawler, reactor, worker_id)
    previous = {sig: signals_module.signal(sig, stop) for sig in (signals_module.SIGTERM, signals_module.SIGINT)}
    try:
        process.start(install_signal_handlers=False)
    finally:
        for sig, handler in previous.items():
            signals_module.signal(sig, handler)
        redis.delete(keys.worker(worker_id))
    return 0
