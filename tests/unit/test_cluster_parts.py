"""The cluster's pure parts, in process: the Redis URL as it may be shown, captures through stream
entries (as Redis hands them back: bytes keys and values), requests through the frontier's JSON."""
from __future__ import annotations

import pytest
import scrapy

from remarkwatch.cluster.connection import safe_url
from remarkwatch.crawler.cluster.frontier import request_from_json, request_to_json
from remarkwatch.crawler.cluster.stream import capture_from_entry, capture_to_entry
from remarkwatch.crawler.items import OK, Capture, Extracted
from tests.unit.conftest import as_redis_returns


@pytest.mark.parametrize("url, shown", [
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ("redis://:hunter2@redis.internal:6379/1", "redis://:***@redis.internal:6379/1"),
    ("rediss://user:s3cret@host/0", "rediss://user:***@host/0"),
])
def test_safe_url_hides_the_password(url, shown):
    assert safe_url(url) == shown


@pytest.mark.parametrize("fields, headers, body", [
    (Extracted(title="Briefing", body_text="Text.", speakers=["MR PRICE"], post_id="7"),
     [("Content-Type", "text/html")], b"<html>\xe2\x80\x99</html>"),
    (None, None, b""),
])
def test_a_capture_survives_the_stream(fields, headers, body):
    capture = Capture(source="s", url="http://h/1", final_url="http://h/1", status=200, fetched_at="t",
                      outcome=OK, body=body, fields=fields, headers=headers)
    entry = capture_to_entry(capture)
    assert entry["type"] == "capture" and entry["source"] == "s" and len(entry["key"]) == 32
    back = capture_from_entry(as_redis_returns(entry))
    assert back == capture


class Spider(scrapy.Spider):
    name = "t"

    def parse_article(self, response):
        pass


@pytest.mark.parametrize("callback, meta", [
    ("parse_article", {"rw_source": "s", "rw_delay": 0.5, "_private": object(), "download_slot": "h"}),
    (None, {"rw_source": "s", "not_json": object()}),
])
def test_a_request_survives_the_frontier_as_json(callback, meta):
    spider = Spider()
    request = scrapy.Request("http://h/1", callback=getattr(spider, callback) if callback else None,
                             meta=meta, priority=3, headers={"If-None-Match": '"x"'})
    back = request_from_json(request_to_json(request), spider)
    assert (back.url, back.priority, back.headers.get("If-None-Match")) == ("http://h/1", 3, b'"x"')
    assert back.meta == {k: v for k, v in meta.items() if k in ("rw_source", "rw_delay")}
    assert (back.callback.__name__ if back.callback else None) == callback


def test_a_frontier_request_names_only_known_callbacks():
    data = request_to_json(scrapy.Request("http://h/1"))
    with pytest.raises(ValueError, match="unknown callback 'eval'"):
        request_from_json({**data, "callback": "eval"}, Spider())


class Server:
    """What the stall watch reads of Redis: INFO's run_id, which a restarted server changes."""

    def __init__(self, run_id: str):
        self.run_id = run_id

    def info(self, section: str) -> dict:
        assert section == "server"
        return {"run_id": self.run_id}


@pytest.mark.parametrize("disturb, moves, stalls", [
    (None, False, False),           # no outage: a pass may wait as long as its workers do
    ("outage", False, True),        # Redis went away and nothing moves after: fail cleanly
    ("restart", False, True),       # a restart between two calls, seen by its new run_id
    ("outage", True, False),        # Redis went away but the pass goes on: no limit reached
])
def test_a_pass_that_stops_moving_after_redis_went_away_fails(disturb, moves, stalls):
    from remarkwatch.cluster.coordinator import _Stall

    watch, server = _Stall(limit_s=30), Server("a")
    watch.server(server)
    assert watch.stalled(0.0, 0, ("frontier", 5)) is None
    if disturb == "outage":
        watch.outage()
    elif disturb == "restart":
        server.run_id = "b"
        watch.server(server)
    said = None
    for second in range(1, 61):
        said = said or watch.stalled(float(second), 1 if moves else 0, ("frontier", second if moves else 5))
    assert bool(said) is stalls
    if stalls:
        assert said == "no progress for 30 s since Redis went away mid-pass"
