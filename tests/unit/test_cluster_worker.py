"""The cluster worker's spider, in process, in what it decides without Redis: requests the
single-machine callbacks yield are tagged with their source and its delay, a worker stays open
until told to stop, and a request of a source this worker does not know is left alone. Its pass
contexts and stream entries need Redis: tests/system/test_cluster.py."""
from __future__ import annotations

import asyncio

import pytest
import redis
import scrapy
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.test import get_crawler

from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.worker import ClusterSpider
from remarkwatch.crawler.items import OK, Capture
from tests.unit.conftest import STATE, state_config

# A client that is never asked anything here (redis-py connects on the first command only).
UNUSED_REDIS = redis.Redis.from_url("redis://127.0.0.1:9/0")


@pytest.fixture
def spider(tmp_path):
    config = state_config(tmp_path, sources=[{"name": "state", "profile": "state.gov",
                                              "start_urls": [STATE + "/"], "delay_s": 2.5}])
    made = ClusterSpider(sources={s.name: s for s in config.sources}, redis=UNUSED_REDIS, keys=Keys("rw"),
                         fingerprint="f" * 64, worker_id="w1")
    made.crawler = get_crawler(ClusterSpider)
    return made


def test_requests_from_a_sources_callbacks_carry_its_name_and_delay(spider):
    capture = Capture(source="state", url=STATE + "/a/", final_url=STATE + "/a/", status=200, fetched_at="t",
                      outcome=OK)
    output = [scrapy.Request(STATE + "/a/"), capture,
              scrapy.Request(STATE + "/b/", meta={"rw_source": "state", "rw_delay": 0.1})]
    relayed = list(spider._relay("state", output))
    assert relayed[1] is capture
    assert [(r.meta["rw_source"], r.meta["rw_delay"]) for r in (relayed[0], relayed[2])] == [
        ("state", 2.5), ("state", 0.1)]          # what a request already carries is kept
    assert list(spider._relay("state", None)) == []


@pytest.mark.parametrize("stopping", [False, True])
def test_an_idle_worker_waits_for_the_frontier_until_it_is_stopped(spider, stopping):
    spider.crawler.remarkwatch_stopping = stopping
    if stopping:
        spider.spider_idle()
    else:
        with pytest.raises(DontCloseSpider):
            spider.spider_idle()


def test_requests_of_other_sources_and_start_ask_nothing(spider):
    spider.request_scheduled(scrapy.Request("https://evil.example/", meta={"rw_source": "not ours"}))
    spider.request_scheduled(scrapy.Request("https://evil.example/"))

    async def started():
        return [request async for request in spider.start()]
    assert asyncio.run(started()) == []          # the frontier feeds the worker
    assert spider._contexts == {} and spider.pages == 0
