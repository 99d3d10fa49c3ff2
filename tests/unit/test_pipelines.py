"""The capture pipeline (crawler/pipelines.py): only captures pass, each handed to the spider's
sink, whose answer (a future of the writer thread) is waited for without blocking the crawl."""
from __future__ import annotations

import asyncio
from concurrent.futures import Future
from types import SimpleNamespace

import pytest
from scrapy.exceptions import DropItem

from remarkwatch.crawler.items import OK, Capture
from remarkwatch.crawler.pipelines import CapturePipeline

CAPTURE = Capture(source="s", url="https://h.example/a", final_url="https://h.example/a", status=200,
                  fetched_at="2026-01-10T00:00:00+00:00", outcome=OK)


def pipeline(sink) -> CapturePipeline:
    """The pipeline of a crawl whose spider carries `sink` (all the pipeline reads of its crawler)."""
    return CapturePipeline.from_crawler(SimpleNamespace(spider=SimpleNamespace(sink=sink)))


@pytest.mark.parametrize("item", [{"url": "https://h.example/a"}, "text", None])
def test_anything_but_a_capture_is_dropped(item):
    with pytest.raises(DropItem, match="not a capture"):
        asyncio.run(pipeline(None).process_item(item))


def test_a_capture_is_handed_to_the_sink_and_its_write_awaited():
    order = []

    def sink(capture):
        order.append(("sunk", capture.url))
        written = Future()
        asyncio.get_running_loop().call_soon(lambda: (order.append(("written",)), written.set_result(None)))
        return written

    async def run():
        item = await pipeline(sink).process_item(CAPTURE)
        order.append(("returned",))
        return item
    assert asyncio.run(run()) is CAPTURE
    assert order == [("sunk", CAPTURE.url), ("written",), ("returned",)]


def test_without_a_sink_the_capture_goes_on_as_an_item():
    assert asyncio.run(pipeline(None).process_item(CAPTURE)) is CAPTURE
