"""Scrapy settings for a remarkwatch pass: polite by default, every response handed to us."""
from __future__ import annotations

from typing import Any

DEFAULT_USER_AGENT = "remarkwatch/0.1 (+https://github.com/remarkwatch/remarkwatch; change monitor for public remarks)"


DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024    # a long transcript is ~300 KB
KEPT_EXTENSIONS = ("scrapy.extensions.corestats.CoreStats", "scrapy.extensions.throttle.AutoThrottle")
COOKIES_MIDDLEWARE = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
OFF_SPIDER_MIDDLEWARES = ("scrapy.spidermiddlewares.depth.DepthMiddleware",
                          "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware")


def build_settings(*, user_agent: str, concurrency: int = 1, log_level: str = "ERROR",
                   max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES) -> dict[str, Any]:
    # Here, not at the top: importing Scrapy takes 0.4 s, and every command reads this module's
    # constants (through config.py), while only crawls need Scrapy.
    from scrapy.settings import default_settings

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
        # Cookies are off, so Scrapy's cookies middleware would only be imported (with tldextract
        # and its suffix list, ~0.1 s of each crawl's start) to say it is not configured; it is
        # left out of the base list, since naming it in DOWNLOADER_MIDDLEWARES imports it too.
        "DOWNLOADER_MIDDLEWARES_BASE": {path: order for path, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items()
                                        if path != COOKIES_MIDDLEWARE},
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy's extensions a monitor uses: the core stats (a pass reads the finish reason) and
        # AutoThrottle (on where a source has a delay). The others are left out of the base list
        # rather than switched off by name in EXTENSIONS, because Scrapy imports every component
        # named there to normalise its name, and the remote control's module imports aiohttp
        # (docs/performance.md). Left out: feed exports, the telnet console, the remote control,
        # the job state file, the memory debugger, memory usage (no limit is set), the periodic
        # INFO statistics line, the log counter and the close-spider conditions (none set).
        "EXTENSIONS_BASE": {path: order for path, order in default_settings.EXTENSIONS_BASE.items()
                            if path in KEPT_EXTENSIONS},
        "EXTENSIONS": {},
        # Spider middlewares that only keep statistics or warn a spider's author: request depth
        # (no DEPTH_LIMIT) and copied meta keys (the spider never copies a response's meta).
        # Each wraps every callback's output in one more asynchronous generator.
        # (The second is new in Scrapy 2.19: one this Scrapy lacks is not named.)
        "SPIDER_MIDDLEWARES": {path: None for path in OFF_SPIDER_MIDDLEWARES
                               if path in default_settings.SPIDER_MIDDLEWARES_BASE},
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
