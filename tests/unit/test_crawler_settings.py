"""A pass's Scrapy settings (crawler/settings.py): concurrency per host, the page size limit, and
every component they name resolving to a class that exists (a renamed module fails here, not in a
crawl)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from scrapy.utils.misc import load_object

from remarkwatch.crawler.settings import DEFAULT_MAX_PAGE_BYTES, build_settings


@pytest.mark.parametrize("concurrency, max_bytes, warn_bytes", [
    (1, DEFAULT_MAX_PAGE_BYTES, 1024 * 1024),
    (8, 512 * 1024, 512 * 1024),        # the warning never above the limit
])
def test_concurrency_and_the_page_limit(concurrency, max_bytes, warn_bytes):
    settings = build_settings(user_agent="ua/1", concurrency=concurrency, log_level="INFO", max_page_bytes=max_bytes)
    assert (settings["CONCURRENT_REQUESTS"], settings["CONCURRENT_REQUESTS_PER_DOMAIN"],
            settings["AUTOTHROTTLE_TARGET_CONCURRENCY"]) == (concurrency, concurrency, float(concurrency))
    assert (settings["DOWNLOAD_MAXSIZE"], settings["DOWNLOAD_WARNSIZE"]) == (max_bytes, warn_bytes)
    assert (settings["USER_AGENT"], settings["LOG_LEVEL"]) == ("ua/1", "INFO")


def test_polite_by_default_and_every_status_reaches_the_spider():
    settings = build_settings(user_agent="ua/1")
    assert settings["ROBOTSTXT_OBEY"] and settings["HTTPERROR_ALLOW_ALL"] and not settings["COOKIES_ENABLED"]
    # Scrapy's robots.txt and meta refresh middlewares are replaced by ours, not run twice.
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None


def test_every_component_named_exists():
    settings = build_settings(user_agent="ua/1")
    named = {settings["DUPEFILTER_CLASS"]: 1, **settings["ITEM_PIPELINES"], **settings["EXTENSIONS_BASE"],
             **settings["DOWNLOADER_MIDDLEWARES"], **settings["SPIDER_MIDDLEWARES"]}
    # A component switched off only needs its module to exist (importing Scrapy's remote control
    # costs a second): a misspelt name would leave it on.
    missing = [path for path, order in named.items()
               if not (isinstance(load_object(path), type) if order is not None
                       else importlib.util.find_spec(path.rpartition(".")[0]) is not None)]
    assert missing == [] and len(named) >= 10


# Robots, politeness, offsite, redirects (meta refresh too), retries, time-outs, compression and its
# size limit, the headers sent, proxies from the environment (DownloaderStats is listed but off).
DOWNLOADER_MIDDLEWARES = [
    "DefaultHeadersMiddleware", "DownloadTimeoutMiddleware", "DownloaderStats", "HttpAuthMiddleware",
    "HttpCacheMiddleware", "HttpCompressionMiddleware", "HttpProxyMiddleware", "OffsiteMiddleware",
    "PoliteRobotsTxtMiddleware", "QuickMetaRefreshMiddleware", "RedirectMiddleware", "RetryAfterMiddleware",
    "RetryMiddleware", "StrictOffsiteMiddleware", "UserAgentMiddleware"]

# The components a crawler with these settings builds, as Scrapy lists them (in a fresh interpreter,
# to see what listing them imports): the finish reason a pass reads comes from CoreStats, a
# source's delay from AutoThrottle; components that only keep statistics nobody reads are not
# built, and naming the ones left out imports nothing (docs/performance.md).
BUILT = """
import sys
from scrapy.settings import Settings
from remarkwatch.crawler.settings import build_settings

settings = Settings(build_settings(user_agent="ua/1"))
listed = getattr(settings, "get_component_priority_dict_with_base", settings.getwithbase)
for name in ("EXTENSIONS", "SPIDER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES"):
    print(sorted(path.rpartition(".")[2] for path, order in listed(name).items() if order is not None))
print("aiohttp" in sys.modules, "tldextract" in sys.modules)
"""


def test_only_the_components_a_pass_uses_are_listed_and_unused_ones_are_not_imported():
    out = subprocess.run([sys.executable, "-c", BUILT], capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines() == [
        "['AutoThrottle', 'CoreStats']",
        "['HttpErrorMiddleware', 'RefererMiddleware', 'StartSpiderMiddleware', 'UrlLengthMiddleware']",
        str(sorted(DOWNLOADER_MIDDLEWARES)),
        "False False"], out.stderr[-2000:]
