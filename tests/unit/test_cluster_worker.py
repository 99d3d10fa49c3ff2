"""The cluster worker's spider, in process, in what it decides without Redis: requests the
single-machine callbacks yield are tagged with their source and its delay, a worker stays open
until told to stop, a request of a source this worker does not know is left alone, every request
keeps to its own source's hosts and ports (issue 27, item 3), and a refusing worker names what
differs from the coordinator's config (item 22). Its pass contexts and stream entries need Redis:
tests/system/test_cluster.py."""
from __future__ import annotations

import asyncio

import pytest
import redis
import scrapy
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.test import get_crawler

from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.worker import ClusterSpider, differences
from remarkwatch.crawler.middlewares.offsite import StrictOffsiteMiddleware
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
    relayed = list(spider._relay({"rw_source": "state", "rw_pass": "9-a"}, output))
    assert relayed[1] is capture
    assert [(r.meta["rw_source"], r.meta["rw_delay"]) for r in (relayed[0], relayed[2])] == [
        ("state", 2.5), ("state", 0.1)]          # what a request already carries is kept
    assert {r.meta["rw_pass"] for r in (relayed[0], relayed[2])} == {"9-a"}    # the pass it belongs to
    assert list(spider._relay({"rw_source": "state"}, None)) == []


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


OTHER = "https://www.state.gov:8443"
# (url, meta, fetched): the single-machine rule (crawler/middlewares/offsite.py), per request's source.
SCOPE = [
    (STATE + "/remarks/", {"rw_source": "state"}, True),
    ("https://sub.www.state.gov/a/", {"rw_source": "state"}, True),
    ("http://127.0.0.1:8080/admin/", {"rw_source": "state"}, False),                  # a forged request
    ("http://127.0.0.1:8080/admin/", {"rw_source": "state", "redirect_urls": [STATE + "/remarks/"]}, False),
    (OTHER + "/a/", {"rw_source": "state"}, False),                                  # another port
    ("https://www.whitehouse.gov/x/", {"rw_source": "house"}, True),
    ("https://www.whitehouse.gov/x/", {"rw_source": "state"}, False),                # another source's host
    (STATE + "/remarks/", {"rw_source": "not ours"}, False),
    (STATE + "/remarks/", {}, False),
    (STATE + "/robots.txt", {"dont_obey_robotstxt": True}, True),                    # Scrapy asks it for a host
    ("http://127.0.0.1:8080/robots.txt", {"dont_obey_robotstxt": True}, False),
]


@pytest.mark.parametrize("url, meta, fetched", SCOPE)
def test_a_worker_keeps_every_request_on_its_sources_hosts(tmp_path, url, meta, fetched):
    """Issue 27, item 3: the worker's one spider had no allowed_domains, so the offsite rule let
    every request through (a listing redirect to any host, a request forged into the frontier)."""
    config = state_config(tmp_path, sources=[
        {"name": "state", "profile": "state.gov", "start_urls": [STATE + "/remarks/"]},
        {"name": "house", "profile": "state.gov", "start_urls": ["https://www.whitehouse.gov/briefings/"]}])
    spider = ClusterSpider(sources={s.name: s for s in config.sources}, redis=UNUSED_REDIS, keys=Keys("rw"),
                           fingerprint="f" * 64, worker_id="w1")
    crawler = get_crawler(ClusterSpider)
    crawler.spider = spider
    check = StrictOffsiteMiddleware(crawler)
    request = scrapy.Request(url, meta=meta)
    if fetched:
        assert check.process_request(request) is None
    else:
        with pytest.raises(IgnoreRequest, match="not fetched"):
            check.process_request(request)


@pytest.mark.parametrize("ours, theirs, said", [
    ({"sources": {"a": {"delay_s": 1.0}}}, {"sources": {"a": {"delay_s": 0.0}}}, ["sources.a.delay_s (1.0 here, 0.0 there)"]),
    ({"sources": {"a": {}}}, {"sources": {"a": {}, "b": {}}}, ["sources.b only on the coordinator"]),
    ({"cluster_secret": "1f"}, {"cluster_secret": "2e"}, ['cluster_secret ("1f" here, "2e" there)']),
    ({"x": [1]}, {"x": [1]}, []),
])
def test_what_differs_from_the_coordinators_config_is_named(ours, theirs, said):
    assert differences(ours, theirs) == said


def test_a_refusing_worker_says_which_key_differs(spider):
    """Issue 27, item 22: a refused worker was told two config hashes, not the key that differs."""
    import json

    spider.shared = {"sources": {"state": {"delay_s": 2.5}}}
    published = json.dumps({"fingerprint": "0" * 64, "shared": {"sources": {"state": {"delay_s": 0.0}}}}).encode()
    said = spider.differs(published)
    assert "sources.state.delay_s (2.5 here, 0.0 there)" in said
    assert spider.differs(json.dumps({"fingerprint": "f" * 64, "shared": {}}).encode()) is None
    forged = json.dumps({"fingerprint": "0", "shared": {"sources": {"state\x1b[2J\u202e": {}}}}).encode()
    assert "sources.state?[2J? only on the coordinator" in spider.differs(forged)
    assert spider.differs(None) is None


def test_a_shared_signal_is_read_for_each_source_it_names_and_followed_once(tmp_path):
    """The coordinator seeds a site's signal once, naming its sources (`rw_also`): each source's
    callback reads the one response, keeps only the releases its listing holds, and a child
    sitemap they all follow is one request again. A failure is reported once."""
    from scrapy.http import TextResponse

    from remarkwatch.crawler.spiders.remarks import RemarksSpider

    listings = {"releases": "/press-releases/", "briefings": "/department-press-briefings/", "wrong": "/press-releasez/"}
    config = state_config(tmp_path, sources=[{"name": n, "profile": "state.gov", "start_urls": [STATE + path]}
                                             for n, path in listings.items()])
    made = ClusterSpider(sources={s.name: s for s in config.sources}, redis=UNUSED_REDIS, keys=Keys("rw"),
                         fingerprint="f" * 64, worker_id="w1")
    made.crawler = get_crawler(ClusterSpider)
    since, problems = "2026-01-10T00:00:00+00:00", []
    contexts = {s.name: RemarksSpider(source_name=s.name, start_urls=list(s.start_urls), allowed_domains=["www.state.gov"],
                                      profile=s.profile, checked={STATE + f"/{s.name}-archived/": since},
                                      signals_since=since, on_problem=problems.append) for s in config.sources}
    made.context = contexts.__getitem__       # the pass contexts (published in Redis: tests/system)
    meta = {"rw_source": "releases", "rw_also": ["briefings", "wrong"], "rw_pass": "1-a"}

    def answer(path, body, status=200):
        request = scrapy.Request(STATE + path, meta=dict(meta))
        return TextResponse(request.url, status=status, body=body.encode(), request=request, encoding="utf-8",
                            headers={"Content-Type": "application/xml"})

    items = "".join(f"<item><link>{STATE}/new-{i}/</link></item>" for i in range(3))
    feed = made.parse_feed(answer("/rss-feed/press-releases/feed/", f"<rss><channel>{items}</channel></rss>"),
                           signal=contexts["releases"].profile.feeds[0])
    assert [(r.url, r.meta["rw_source"]) for r in feed] == [(f"{STATE}/new-{i}/", "releases") for i in range(3)]
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
             f"<loc>{STATE}/press_release-sitemap.xml</loc><lastmod>2026-01-12</lastmod></sitemap></sitemapindex>")
    children = made.parse_sitemap(answer("/sitemap_index.xml", index))
    assert [(r.url, r.meta["rw_source"], r.meta["rw_also"]) for r in children] == [
        (STATE + "/press_release-sitemap.xml", "releases", ["briefings", "wrong"])]
    assert list(made.parse_feed(answer("/rss-feed/press-releases/feed/", "", status=503))) == []
    assert len(problems) == 1 and "answered HTTP 503" in problems[0]
    # Read for the wrong source alone, the feed's releases are no one's: counted for the coordinator.
    emitted = []
    made.emit = lambda entry_type, source, **fields: emitted.append((entry_type, source, fields))
    meta.update(rw_source="wrong", rw_also=[])
    assert list(made.parse_feed(answer("/rss-feed/press-releases/feed/", f"<rss><channel>{items}</channel></rss>"),
                                signal=contexts["wrong"].profile.feeds[0])) == []
    assert emitted == [("dropped", "wrong", {"signal": "feed www.state.gov/rss-feed/press-releases/feed/", "count": "3"})]
