"""What a crawl imports after it starts, imported once by the forkserver (tests/forked.py) instead
of by every forked crawl: Scrapy's components, its download handler, robots.txt and queue modules.
Scrapy's TLS module is the one that matters (0.15 CPU-seconds of each crawl): it makes deprecated
aliases, and each reads the source of every frame on the stack (`inspect.stack()`).

Never `twisted.internet.reactor`: importing it installs a reactor, and a crawl installs its own."""
from __future__ import annotations

import importlib

from scrapy.settings import default_settings

MODULES = [
    "scrapy.core.downloader.contextfactory", "scrapy.core.downloader.handlers.http11",
    "scrapy.core.downloader.middleware", "scrapy.core.engine", "scrapy.core.scraper",
    "scrapy.dupefilters", "scrapy.pqueues", "scrapy.squeues", "scrapy.robotstxt", "scrapy.resolver",
    "scrapy.statscollectors", "scrapy.logformatter", "twisted.web.client", "twisted.internet.endpoints",
    "remarkwatch.crawler.pipelines", "remarkwatch.passes.run",
]
COMPONENTS = [*default_settings.DOWNLOADER_MIDDLEWARES_BASE, *default_settings.SPIDER_MIDDLEWARES_BASE,
              *default_settings.EXTENSIONS_BASE]

for name in [*MODULES, *(path.rsplit(".", 1)[0] for path in COMPONENTS)]:
    importlib.import_module(name)
