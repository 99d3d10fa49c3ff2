"""crawler/middlewares/: the offsite check, the redirect-aware duplicate filter, the quick meta
refresh check and the politeness pacer, each on Scrapy's real request and response objects."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError

from remarkwatch.crawler.middlewares.dupefilter import RedirectAwareDupeFilter
from remarkwatch.crawler.middlewares.metarefresh import QuickMetaRefreshMiddleware
from remarkwatch.crawler.middlewares.offsite import StrictOffsiteMiddleware, host_allowed
from remarkwatch.crawler.middlewares.politeness import (DEFAULT_BACKOFF_S, UNREACHABLE_AFTER, Pacer,
                                                        RetryAfterMiddleware, pacer_of, retry_after_s)


@pytest.mark.parametrize("url, allowed, ok", [
    ("https://www.state.gov/x/", ("www.state.gov",), True),
    ("https://WWW.STATE.GOV/x/", ("www.state.gov",), True),
    ("https://2009-2017.state.gov/x/", ("state.gov",), True),           # a subdomain of an allowed host
    ("https://evilstate.gov/x/", ("state.gov",), False),
    ("https://www.state.gov.evil.org/x/", ("www.state.gov",), False),
    ("http://localhost/admin/", ("www.state.gov",), False),
    ("http://anything.example/", (), True),                             # no list: everything
    ("http://anything.example/", None, True),
])
def test_host_allowed(url, allowed, ok):
    assert host_allowed(url, allowed) is ok


@pytest.mark.parametrize("url, ok", [
    ("http://127.0.0.1:8080/next/", True),               # the start URL's own port
    ("https://127.0.0.1/next/", True),                   # http <-> https on the same host
    ("http://127.0.0.1/next/", True),
    ("http://127.0.0.1:6379/", False),                   # another service on an allowed host (issue 27, 20)
    ("http://other.example:8080/", False),
])
def test_a_redirect_or_refresh_to_another_port_is_offsite(url, ok):
    crawler = SimpleNamespace(spider=SimpleNamespace(allowed_domains=["127.0.0.1"],
                                                     start_urls=["http://127.0.0.1:8080/press-releases/"]))
    hop = Request(url, dont_filter=True, meta={"redirect_urls": ["http://127.0.0.1:8080/press-releases/"]})
    middleware = StrictOffsiteMiddleware.from_crawler(crawler)
    if ok:
        assert middleware.process_request(hop) is None
    else:
        with pytest.raises(IgnoreRequest, match="outside allowed_domains"):
            middleware.process_request(hop)


def test_offsite_refuses_even_a_dont_filter_redirect_and_says_where_from():
    crawler = SimpleNamespace(spider=SimpleNamespace(allowed_domains=["www.state.gov"]))
    middleware = StrictOffsiteMiddleware.from_crawler(crawler)
    assert middleware.process_request(Request("https://www.state.gov/a/", dont_filter=True)) is None
    hop = Request("http://localhost/admin/", dont_filter=True,
                  meta={"redirect_urls": ["https://www.state.gov/press-releases/"]})
    with pytest.raises(IgnoreRequest, match=r"http://localhost/admin/ is outside allowed_domains \(redirected from "
                                            r"https://www.state.gov/press-releases/\); not fetched"):
        middleware.process_request(hop)
    with pytest.raises(IgnoreRequest, match=r"outside allowed_domains \(requested\)"):
        middleware.process_request(Request("https://example.org/"))


def test_dupefilter_lets_redirect_hops_through():
    seen = RedirectAwareDupeFilter()
    assert seen.request_seen(Request("https://www.state.gov/a/")) is False
    assert seen.request_seen(Request("https://www.state.gov/a/")) is True
    hop = Request("https://www.state.gov/", meta={"redirect_urls": ["https://www.state.gov/retired/"]})
    assert seen.request_seen(hop) is False and seen.request_seen(hop) is False
    assert seen.request_seen(Request("https://www.state.gov/")) is False      # the hop was not recorded


REFRESH = b'<html><head><META HTTP-EQUIV="refresh" content="0; url=/moved/"></head><body>x</body></html>'


@pytest.mark.parametrize("body, redirected", [
    (b"<html><body>No refresh here</body></html>", False),
    (REFRESH, True),
    ('<html><meta http-equiv="refresh" content="0; url=/moved/"></html>'.encode("utf-16-le"), True),  # NUL bytes: read
])
def test_meta_refresh_is_looked_for_only_where_it_can_be(body, redirected):
    middleware = QuickMetaRefreshMiddleware.from_crawler(get_crawler())
    request = Request("https://www.state.gov/old/")
    encoding = "utf-16-le" if b"\x00" in body else "utf-8"
    response = HtmlResponse(request.url, body=body, request=request, encoding=encoding)
    out = middleware.process_response(request, response)
    if redirected:
        assert isinstance(out, Request) and out.url == "https://www.state.gov/moved/"
    else:
        assert out is response


def test_retry_after_values():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    assert retry_after_s(b"120") == 120
    assert retry_after_s("Fri, 27 Nov 2026 12:01:30 GMT", now) == 90
    assert retry_after_s("Fri, 27 Nov 2026 11:00:00 GMT", now) == 0
    assert retry_after_s(b"soon") is None and retry_after_s(None) is None


def test_pacer_spaces_a_host_and_backs_off():
    clock = [100.0]
    pacer = Pacer(clock=lambda: clock[0])
    assert [pacer.reserve("a", 5) for _ in range(3)] == [0, 5, 10]      # reserved one after another
    assert pacer.reserve("b", 0) == 0                                   # another host is not held up
    pacer.back_off("b", 30)
    assert pacer.reserve("b", 0) == 30
    assert pacer.back_off("b", 10**6) is False and pacer.given_up == {"b": 10**6}   # past the cap:
    assert pacer.reserve("b", 0) == 30                                  # given up, not waited for
    short = Pacer(clock=lambda: clock[0], max_wait_s=60)               # the time to the next pass
    assert short.back_off("c", 59) is True and short.back_off("d", 61) is False and "d" in short.given_up
    clock[0] += 40
    assert pacer.reserve("a", 5) == 0                                   # its turn came long ago


def test_pacer_leaves_a_host_alone_after_failures_in_a_row():
    pacer = Pacer()
    for _ in range(UNREACHABLE_AFTER - 1):
        pacer.connection_failed("h", "refused")
    pacer.answered("h")                                                 # an answer resets the count
    for _ in range(UNREACHABLE_AFTER - 1):
        pacer.connection_failed("h", "refused")
    assert pacer.unreachable == {}
    pacer.connection_failed("h", "refused")
    assert pacer.unreachable == {"h": f"{UNREACHABLE_AFTER} connection attempts in a row failed, the last: refused"}


def test_retry_after_middleware_backs_the_host_off_or_gives_it_up():
    crawler = get_crawler(settings_dict={"REMARKWATCH_MAX_WAIT_S": 600})
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    pacer = pacer_of(crawler)
    assert pacer is pacer_of(crawler) and pacer.max_wait_s == 600       # one pacer per crawl

    def answer(status, retry_after=None):
        request = Request("https://www.state.gov/a/")
        headers = {"Retry-After": retry_after} if retry_after else {}
        response = Response(request.url, status=status, headers=headers, request=request)
        return request, middleware.process_response(request, response) is response

    request, passed_on = answer(429, "120")
    assert passed_on and 119 < pacer.backoff_left("www.state.gov") <= 120 and "dont_retry" not in request.meta
    request, passed_on = answer(503)
    assert passed_on and "dont_retry" not in request.meta and pacer.backoff_left("www.state.gov") > 100
    assert DEFAULT_BACKOFF_S < 120
    request, passed_on = answer(429, "3600")                            # longer than until the next pass
    assert passed_on and request.meta["dont_retry"] is True and pacer.given_up == {"www.state.gov": 3600}
    request, passed_on = answer(200)
    assert passed_on and "dont_retry" not in request.meta


def test_retry_after_middleware_counts_connection_failures():
    crawler = get_crawler()
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:9/x/")
    for _ in range(UNREACHABLE_AFTER):
        assert middleware.process_exception(request, ConnectionRefusedError("refused"), None) is None
    assert "127.0.0.1:9" in pacer_of(crawler).unreachable
    middleware.process_exception(request, ValueError("not a connection problem"), None)
    assert pacer_of(crawler).failures["127.0.0.1:9"] == UNREACHABLE_AFTER
