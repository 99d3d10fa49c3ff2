"""Scrapy settings for a remarkwatch pass: polite by default, every response handed to us."""
from __future__ import annotations

from typing import Any

DEFAULT_USER_AGENT = "remarkwatch/0.1 (+https://github.com/remarkwatch/remarkwatch; change monitor for public remarks)"


DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024    # a long transcript is ~300 KB


def build_settings(*, user_agent: str, concurrency: int = 1, log_level: str = "ERROR",
                   max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES) -> dict[str, Any]:
    return {
        "BOT_NAME": "remarkwatch",
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": True,
        # A crawler crawls one source (its sources one after another), mostly one host: no more
        # requests at once in all than `concurrency` allows per host (see monitor/passes.py on
        # why this also keeps Scrapy's per-host limit when there is no delay).
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Extensions a monitor does not use, each loaded for every source's crawler: feed exports,
        # the telnet console, the remote control (whose import of aiohttp slowed a crawl's start),
        # the job state file and the memory debugger.
        "EXTENSIONS": {f"scrapy.extensions.{name}": None for name in (
            "feedexport.FeedExporter", "telnet.TelnetConsole", "remote_control.RemoteControl",
            "spiderstate.SpiderState", "memdebug.MemoryDebugger")},
        # Every status reaches the spider (redirects are still followed), so a 404 or 500 is
        # recorded as a capture with its outcome instead of vanishing in a middleware.
        "HTTPERROR_ALLOW_ALL": True,
        "RETRY_TIMES": 2,
        "DOWNLOAD_TIMEOUT": 30,
        # Scrapy's default is 1 GiB. The same limit bounds a compressed body once decompressed
        # (HttpCompressionMiddleware), so a gzip bomb is dropped as it inflates.
        "DOWNLOAD_MAXSIZE": max_page_bytes,
        "DOWNLOAD_WARNSIZE": min(1024 * 1024, max_page_bytes),
        "REDIRECT_MAX_TIMES": 10,
        "LOG_LEVEL": log_level,
        # Scrapy starts this many worker tasks for every callback's output, so the default (100)
        # cost more than the archive writes (bench/crawl_bench.py). An article goes straight to
        # the writer and yields nothing; a listing's requests are only queued: one is enough
        # (docs/performance.md, bench/throughput_bench.py).
        "CONCURRENT_ITEMS": 1,
        # Responses waiting for the archive writer are held by Scrapy's scraper, bounded only by
        # their size (5 MB by default, a 304 counted as 1 KB): a large re-check of unchanged
        # pages held nearly all of them at once, with their tasks and futures. 500 KB lets a few
        # dozen pages (or a few hundred 304s) wait, then downloading pauses until the writer
        # catches up: a first crawl is as fast as with a larger bound, and a conditional re-check
        # peaks lower (docs/performance.md; each waiting article callback is a coroutine
        # awaiting the writer).
        "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 500_000,
        "DUPEFILTER_CLASS": "remarkwatch.crawler.middlewares.dupefilter.RedirectAwareDupeFilter",
        # robots.txt Crawl-delay and Retry-After on 429/503 (crawler/politeness.py); the back-off
        # is recorded before Scrapy's retry (550) resends the request.
        "DOWNLOADER_MIDDLEWARES": {
            "remarkwatch.crawler.middlewares.offsite.StrictOffsiteMiddleware": 50,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "remarkwatch.crawler.middlewares.politeness.PoliteRobotsTxtMiddleware": 100,
            "remarkwatch.crawler.middlewares.politeness.RetryAfterMiddleware": 560,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            "remarkwatch.crawler.middlewares.metarefresh.QuickMetaRefreshMiddleware": 580,      # Scrapy's, without decoding every page
        },
        # Scrapy parses a generator callback's source (ast) on every response to warn about a
        # `return value`: our callbacks are known, and it cost ~3% of a crawl.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Per-response byte and status counters nobody reads (each a call through Scrapy's stats
        # wrapper), and a Referer header a monitor has no reason to send.
        "DOWNLOADER_STATS": False,
        "REFERER_ENABLED": False,
        "ITEM_PIPELINES": {"remarkwatch.crawler.pipelines.CapturePipeline": 300},
        "SPIDER_MODULES": ["remarkwatch.crawler.spiders"],
        "NEWSPIDER_MODULE": "remarkwatch.crawler.spiders",
    }
