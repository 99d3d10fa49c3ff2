"""Thin pipeline: check that an item is a Capture and hand it to the sink the spider carries."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future

from scrapy.exceptions import DropItem

from remarkwatch.crawler.items import Capture

logger = logging.getLogger(__name__)


class CapturePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item, spider=None):
        if not isinstance(item, Capture):
            raise DropItem(f"not a capture: {type(item).__name__}")
        sink = getattr(self.crawler.spider, "sink", None)
        if sink is not None:
            pending = sink(item)
            # A sink may write on its own thread; wait for it without blocking the crawl.
            if isinstance(pending, Future):
                await asyncio.wrap_future(pending)
        return item
