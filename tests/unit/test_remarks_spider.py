"""The remarks spider's callbacks, in process: what each listing, signal (sitemap, WordPress REST,
feed), article and failure becomes. Each callback is handed the Scrapy response or failure it
would get (Scrapy's own way to test a callback); crawls over real HTTP are tests/integration's."""
from __future__ import annotations

import asyncio
import json

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from remarkwatch.crawler import items
from remarkwatch.crawler.middlewares.politeness import LEFT_FOR_NEXT_PASS, STOPPING, UNREACHABLE
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.crawler.spiders.remarks import RemarksSpider, _conditional, _when
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.site import listing_page
from tests.unit.conftest import STATE, URL, release_page

LISTING = STATE + "/press-releases/"
RELEASES = demo_releases()[:3]
LINKS = [STATE + r.path for r in RELEASES]
CHECKED_AT = "2026-01-10T00:00:00+00:00"
CRAWLER = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 1000})     # only its settings are read
PROFILE = get_profile("state.gov")


def spider(**kw) -> tuple[RemarksSpider, list, list]:
    """A state.gov spider that keeps its problems and signals: (spider, problems, signals)."""
    problems, signals = [], []
    args = dict(source_name="state", start_urls=[LISTING], allowed_domains=["www.state.gov"],
                profile=PROFILE, on_problem=problems.append,
                on_signal=lambda kind, url: signals.append((kind, url)))
    made = RemarksSpider(**{**args, **kw})
    made.crawler = CRAWLER
    return made, problems, signals


@pytest.fixture(scope="module")
def plain():
    """A first pass's spider, for the callbacks that keep no state (building one costs a profile load)."""
    return spider()[0]


def answer(url: str, body: bytes | str, status: int = 200, content_type: str = "text/html; charset=utf-8",
           meta: dict | None = None, **headers) -> TextResponse:
    body = body.encode() if isinstance(body, str) else body
    kind = HtmlResponse if "html" in content_type else TextResponse
    return kind(url, status=status, body=body, headers={"Content-Type": content_type, **headers},
                request=Request(url, meta=meta or {}), encoding="utf-8")


def urls(output) -> list[str]:
    return [request.url for request in output]


@pytest.mark.parametrize("page, pages, skip, followed", [
    (1, 1, set(), LINKS),
    (1, 2, set(), [*LINKS, LISTING + "page/2/"]),
    (2, 2, set(), LINKS),                          # max_listing_pages reached: the next page is not asked for
    (1, 1, {LINKS[0]}, LINKS[1:]),                 # archived, not due: not fetched again
])
def test_a_listing_page_asks_for_its_articles_and_its_next_page(page, pages, skip, followed):
    made, problems, _ = spider(max_listing_pages=pages, skip_urls=frozenset(skip))
    told = []
    made.on_listing = told.append
    html = listing_page(demo_releases()[:3] + demo_releases()[:2], 1, 3, STATE)
    assert urls(made.parse_listing(answer(LISTING, html), page=page)) == followed
    assert told == [True] and problems == []


@pytest.mark.parametrize("status, body, content_type, problem", [
    (500, "<html></html>", "text/html", "answered HTTP 500"),
    (200, "{}", "application/pdf", "answered HTTP 200"),
    (200, "<html><body><p>Redesigned</p></body></html>", "text/html", "has no items matching ['li.collection-result']"),
])
def test_a_listing_that_cannot_be_read_is_a_problem_and_a_failed_listing(status, body, content_type, problem):
    made, problems, _ = spider()
    told = []
    made.on_listing = told.append
    assert urls(made.parse_listing(answer(LISTING, body, status, content_type), page=1)) == []
    assert told == [False] and problem in problems[0]


def test_a_feed_as_start_url_is_read_as_a_listing():
    made, _, _ = spider()
    feed = "<?xml version='1.0'?><rss><channel>" + "".join(
        f"<item><link> {link} </link></item>" for link in [*LINKS, LINKS[0]]) + "</channel></rss>"
    assert urls(made.parse_listing(answer(LISTING, feed, content_type="application/rss+xml"), page=1)) == LINKS


def sitemap(kind: str, entries: list[tuple[str, str | None]]) -> str:
    tag = "sitemap" if kind == "sitemapindex" else "url"
    body = "".join(f"<{tag}><loc>{loc}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + f"</{tag}>"
                   for loc, mod in entries)
    return f'<?xml version="1.0"?><{kind} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</{kind}>'


@pytest.mark.parametrize("lastmod, flagged", [
    ("2026-01-11T08:00:00+00:00", True),
    ("2026-01-11", True),                      # a date without a time: midnight UTC
    ("2026-01-09T23:00:00+00:00", False),      # before the last check
    (None, False),                             # no date: nothing says it changed
    ("yesterday", False),
])
def test_a_sitemap_flags_archived_documents_modified_since_their_check(lastmod, flagged):
    made, _, signals = spider(checked={LINKS[0]: CHECKED_AT}, signals_since=CHECKED_AT)
    body = sitemap("urlset", [(LINKS[0], lastmod), (LINKS[1], "2026-02-01")])   # LINKS[1]: not archived
    out = urls(made.parse_sitemap(answer(STATE + "/sitemap.xml", body, content_type="application/xml")))
    assert out == ([LINKS[0]] if flagged else [])
    assert signals == ([("sitemap", LINKS[0])] if flagged else [])


def test_a_sitemap_index_reads_only_the_included_child_sitemaps_newer_than_the_last_pass():
    made, _, _ = spider(checked={LINKS[0]: CHECKED_AT}, signals_since=CHECKED_AT)
    children = [(STATE + "/press_release-sitemap.xml", "2026-01-12"), (STATE + "/page-sitemap.xml", "2026-01-12"),
                (STATE + "/briefing-sitemap.xml", "2025-12-01"), (STATE + "/briefing-sitemap2.xml", None)]
    out = made.parse_sitemap(answer(STATE + "/sitemap_index.xml", sitemap("sitemapindex", children),
                                    content_type="application/xml"))
    assert urls(out) == [STATE + "/press_release-sitemap.xml", STATE + "/briefing-sitemap2.xml"]


@pytest.mark.parametrize("body, status, problem", [
    (b"", 200, "is not readable XML"),
    (b"plain text", 200, "is not readable XML"),
    (b"", 404, "answered HTTP 404"),
])
def test_an_unreadable_sitemap_is_a_problem(body, status, problem):
    made, problems, _ = spider(checked={LINKS[0]: CHECKED_AT}, signals_since=CHECKED_AT)
    assert urls(made.parse_sitemap(answer(STATE + "/sitemap.xml", body, status, "application/xml"))) == []
    assert problem in problems[0]


def test_wordpress_rest_posts_fetch_new_and_modified_releases_and_follow_pages():
    made, _, signals = spider(checked={LINKS[0]: CHECKED_AT, LINKS[1]: CHECKED_AT}, signals_since=CHECKED_AT)
    posts = [{"link": LINKS[0], "modified_gmt": "2026-01-11T00:00:00"},     # modified since its check
             {"link": LINKS[1], "modified_gmt": "2026-01-01T00:00:00"},     # not since
             {"link": LINKS[2], "modified_gmt": "2025-01-01T00:00:00"},     # unknown: a new release
             {"id": 7}, "not a post"]
    rest = STATE + "/wp-json/wp/v2/state_briefing?modified_after=x&page=1"
    out = urls(made.parse_rest(answer(rest, json.dumps(posts), content_type="application/json",
                                      **{"X-WP-TotalPages": "3"}), page=1, signal=PROFILE.rest[0]))
    assert out == [LINKS[0], LINKS[2], STATE + "/wp-json/wp/v2/state_briefing?modified_after=x&page=2"]
    assert signals == [("rest", LINKS[0]), ("rest", LINKS[2])]


@pytest.mark.parametrize("page, total, next_asked", [(9, 50, True), (10, 50, False), (1, 1, False)])
def test_rest_pages_are_followed_to_ten_at_most(plain, page, total, next_asked):
    out = urls(plain.parse_rest(answer(STATE + "/wp-json/x?page=1", "[]", content_type="application/json",
                                      **{"X-WP-TotalPages": str(total)}), page=page))
    assert out == ([f"{STATE}/wp-json/x?page={page + 1}"] if next_asked else [])


def test_a_feed_signals_only_releases_not_archived_yet_and_each_page_once():
    made, _, signals = spider(checked={LINKS[0]: CHECKED_AT}, skip_urls=frozenset([LINKS[1]]))
    feed = ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>" + "".join(
        f"<entry><link href='{link}'/></entry>" for link in LINKS) + "</feed>")
    feed_answer = answer(STATE + "/feed/", feed, content_type="application/atom+xml")
    assert urls(made.parse_feed(feed_answer, signal=PROFILE.feeds[0])) == [LINKS[2]]
    made.on_signal("sitemap", LINKS[2])
    assert signals == [("feed", LINKS[2])]


def test_start_asks_for_listings_signals_and_due_documents_with_their_validators():
    known = [{"url": LINKS[0], "etag": '"v1"', "last_modified": "Sat, 10 Jan 2026 00:00:00 GMT"}]
    made, _, _ = spider(known_urls=known, checked={LINKS[0]: CHECKED_AT}, signals_since=CHECKED_AT)

    async def collect():
        return [request async for request in made.start()]
    requests = asyncio.run(collect())
    assert requests[0].url == LISTING and requests[0].dont_filter
    assert STATE + "/sitemap_index.xml" in urls(requests)
    rest = [r.url for r in requests if "/wp-json/" in r.url]
    assert len(rest) == 2 and all("modified_after=2026-01-09T00:00:00" in url for url in rest)   # a day early
    due = requests[-1]
    assert (due.url, due.priority, due.headers.get("If-None-Match")) == (LINKS[0], -1, b'"v1"')
    first_pass, _, _ = spider()
    assert urls(asyncio.run(_all(first_pass.start()))) == [LISTING, STATE + "/rss-feed/press-releases/feed/"]


async def _all(generator) -> list:
    return [item async for item in generator]


@pytest.mark.parametrize("status, body, known_hash, redirected, outcome", [
    (304, b"", None, False, items.NOT_MODIFIED),
    (200, release_page(), "same", False, items.SAME_BYTES),
    (200, release_page(), "same", True, items.OK),          # the same bytes at the end of a redirect: judged
    (200, release_page(), "other", False, items.OK),
    (404, b"<html><body>Page not found</body></html>", None, False, items.GONE),
])
def test_an_article_answer_becomes_one_capture(status, body, known_hash, redirected, outcome):
    import hashlib

    blob = hashlib.sha256(body).hexdigest() if known_hash == "same" else "0" * 64
    made, _, _ = spider(known_urls=[{"url": URL, "blob_hash": blob}] if known_hash else [])
    meta = {"redirect_urls": [STATE + "/old/"]} if redirected else {}
    captures = asyncio.run(_all(made.parse_article(answer(URL, body, status, meta=meta))))
    assert [c.outcome for c in captures] == [outcome]
    assert captures[0].url == (STATE + "/old/" if redirected else URL) and captures[0].final_url == URL
    assert (captures[0].fields is not None) == (outcome == items.OK)


def failure(exc: BaseException, url: str = URL) -> Failure:
    made = Failure(exc)
    made.request = Request(url)
    return made


@pytest.mark.parametrize("exc, url, outcome, error", [
    (ConnectionRefusedError("refused"), URL, items.NETWORK_ERROR, "refused"),
    (CancelledError(), URL, items.TOO_LARGE, "larger than the page size limit (1,000 bytes, max_page_mb)"),
    (IgnoreRequest("Cancelling download: DOWNLOAD_MAXSIZE"), URL, items.TOO_LARGE, "larger than"),
    (IgnoreRequest(f"Retry-After 9999 s: {LEFT_FOR_NEXT_PASS}"), URL, items.HTTP_ERROR, LEFT_FOR_NEXT_PASS),
    (IgnoreRequest(f"www.state.gov is {UNREACHABLE} (timeout): {LEFT_FOR_NEXT_PASS}"), URL, items.NETWORK_ERROR,
     UNREACHABLE),
    (IgnoreRequest("Filtered offsite request"), "https://evil.example/x", items.OFFSITE, "offsite"),
    (IgnoreRequest("Forbidden by robots.txt"), URL, items.ROBOTS, "robots.txt"),
])
def test_a_failed_article_is_recorded_with_what_failed(plain, exc, url, outcome, error):
    captures = list(plain.article_failed(failure(exc, url)))
    assert [c.outcome for c in captures] == [outcome] and error in captures[0].error


def test_a_request_cut_short_by_a_stop_records_nothing(plain):
    assert list(plain.article_failed(failure(IgnoreRequest(f"{STOPPING}: not fetched")))) == []


def test_an_offsite_request_is_recorded_as_scheduled():
    sunk = []
    made, _, _ = spider(sink=sunk.append)
    made.request_scheduled(Request("https://evil.example/x", meta={"redirect_urls": [URL]}))
    made.request_scheduled(Request(URL))
    made.request_scheduled(Request("https://evil.example/start", dont_filter=True))
    assert [(c.url, c.outcome) for c in sunk] == [(URL, items.OFFSITE)]
    assert sunk[0].error == "redirected outside allowed_domains to https://evil.example/x"


@pytest.mark.parametrize("known, headers", [
    ({"etag": '"a"', "last_modified": "Sat, 10 Jan 2026 00:00:00 GMT"},
     {"If-None-Match": '"a"', "If-Modified-Since": "Sat, 10 Jan 2026 00:00:00 GMT"}),
    ({"etag": None, "last_modified": ""}, {}),
])
def test_conditional_headers_come_from_the_last_good_fetch(known, headers):
    assert _conditional(known) == headers


@pytest.mark.parametrize("text, iso", [
    ("2026-01-11", "2026-01-11T00:00:00+00:00"),
    (" 2026-01-11T05:00:00-05:00 ", "2026-01-11T05:00:00-05:00"),
    (None, None), ("01/11/2026", None),
])
def test_when_reads_sitemap_dates_as_aware_times(text, iso):
    value = _when(text)
    assert (value.isoformat() if value else None) == iso
