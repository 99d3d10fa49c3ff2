"""A pass's Scrapy settings (crawler/settings.py): concurrency per host, the page size limit, and
every component they name resolving to a class that exists (a renamed module fails here, not in a
crawl)."""
from __future__ import annotations

import importlib.util

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
    named = {settings["DUPEFILTER_CLASS"]: 1, **settings["ITEM_PIPELINES"], **settings["EXTENSIONS"],
             **settings["DOWNLOADER_MIDDLEWARES"]}
    # A component switched off only needs its module to exist (importing Scrapy's remote control
    # costs a second): a misspelt name would leave it on.
    missing = [path for path, order in named.items()
               if not (isinstance(load_object(path), type) if order is not None
                       else importlib.util.find_spec(path.rpartition(".")[0]) is not None)]
    assert missing == [] and len(named) > 10
