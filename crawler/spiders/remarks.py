"""The generic remarks spider: walk a source's listing pages, fetch and extract each article."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet import defer

from remarkwatch.crawler import items
from remarkwatch.crawler.judge import is_landing, judge
from remarkwatch.crawler.extract import EXTRACTOR_VERSION, extract_listing, fallback_profile
from remarkwatch.crawler.markupcost import MarkupTooCostly
from remarkwatch.crawler.middlewares.offsite import host_allowed, site_ports
from remarkwatch.crawler.middlewares.politeness import LEFT_FOR_NEXT_PASS, STOPPING, UNREACHABLE
from remarkwatch.crawler.profiles import Profile, get_profile
from remarkwatch.crawler.spiders.sitesignals import SignalCache, SignalReading, feed_links as _feed_links
from remarkwatch.crawler.spiders.sitesignals import header as _header, when as _when

logger = logging.getLogger(__name__)


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RemarksSpider(SignalReading, scrapy.Spider):
    name = "remarks"

    def __init__(self, *, source_name: str, start_urls: list[str], allowed_domains: list[str],
                 profile: Profile, max_listing_pages: int = 1, sink: Callable | None = None,
                 on_problem: Callable[[str], None] | None = None, known_urls: list[dict] = (),
                 on_listing: Callable[[bool], None] | None = None, skip_urls: frozenset = frozenset(),
                 checked: dict | None = None, signals_since: str | None = None,
                 on_signal: Callable[[str, str], None] | None = None, extract_pool=None,
                 signal_cache: SignalCache | None = None, **kwargs):
        super().__init__(**kwargs)
        self.source_name = source_name
        self.start_urls = list(start_urls)
        self.allowed_domains = list(allowed_domains)
        self.profile = profile
        self.max_listing_pages = max_listing_pages
        self.known_urls = list(known_urls)
        # Due archived documents are requested by start() with their validators; the listing must
        # not request them again without (whichever reached the dupefilter first would win).
        self.due_urls = frozenset(known["url"] for known in self.known_urls)
        # The SHA-256 of each due document's last good page: a page answered with the very same
        # bytes is checked and unchanged, with nothing to extract or compare.
        # Only for active documents: a removed or blocked one coming back must be seen doing so.
        self.raw_hashes = {known["url"]: known["blob_hash"] for known in self.known_urls
                           if known.get("blob_hash") and known.get("state", "active") == "active"}
        self.skip_urls = frozenset(skip_urls)   # archived documents not due for a re-check
        self.checked = dict(checked or {})      # archived document URL -> when it was last checked
        self.signals_since = _when(signals_since)   # the source's last pass: older sitemaps are skipped
        self._on_signal = on_signal or (lambda kind, url: None)
        self._signalled: set[str] = set()
        # The pass's signals, shared with the site's other sources (sitesignals.py); None: asked here.
        self.signal_cache = signal_cache
        self.sink = sink
        self.on_problem = on_problem or (lambda message: logger.warning(message))
        self.on_listing = on_listing or (lambda ok: None)   # told whether each listing page was read
        self.extractor = f"{profile.name}/{EXTRACTOR_VERSION}"
        # When the profile stops matching (a redesign), pages are still read by the generic
        # extractor, their versions marked with its name.
        self.fallback = fallback_profile(profile, get_profile("generic")) if profile.extractor == "selectors" else None
        # Judges pages in worker processes (monitor.pool.ExtractPool); None: in this process.
        self.extract_pool = extract_pool

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    def request_scheduled(self, request, spider=None):
        """Scrapy filters offsite requests as they are scheduled, with no errback: record them."""
        if request.dont_filter or host_allowed(request.url, self.allowed_domains) or self.sink is None:
            return  # dont_filter requests (start URLs) are crawled wherever they point
        redirects = list(request.meta.get("redirect_urls", []))
        how = "redirected" if redirects else "linked"
        self.sink(items.Capture(
            source=self.source_name, url=redirects[0] if redirects else request.url,
            final_url=request.url, status=None, fetched_at=utcnow(), outcome=items.OFFSITE,
            error=f"{how} outside allowed_domains to {request.url}", redirect_urls=redirects,
            extractor=self.extractor,
        ))

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed,
                                 cb_kwargs={"page": 1}, dont_filter=True)
        for request in self.signal_requests():
            yield request
        # Documents already in the archive are re-checked even when they have left the listing:
        # that is how late edits, removals and restorations are seen.
        for known in self.known_urls:
            yield scrapy.Request(known["url"], callback=self.parse_article, errback=self.article_failed,
                                 priority=-1, headers=_conditional(known))

    def parse_listing(self, response, page: int):
        """A listing page, or a listing in another form: an RSS/Atom feed start URL (sites that
        document no listing markup) or a GOV.UK search API page."""
        next_url = None
        if response.status == 200 and _is_feed(response):
            links = _feed_links(response)
        elif response.status == 200 and self.profile.extractor == "govuk" and _is_json(response):
            links = _govuk_links(response)
        elif response.status != 200 or not _is_html(response):
            self.on_listing(False)
            self.on_problem(f"{self.source_name}: listing {response.url} answered HTTP {response.status}")
            return
        else:
            try:
                links, next_url = extract_listing(response.text, response.url, self.profile)
            except MarkupTooCostly as exc:
                links, next_url = [], None
                self.on_problem(f"{self.source_name}: listing {response.url}: {exc}")
            else:
                if not links:
                    self.on_problem(f"{self.source_name}: listing {response.url} has no items matching "
                                    f"{list(self.profile.sel('items'))}")
        self.on_listing(bool(links))
        for link in links:
            if link not in self.skip_urls and link not in self.due_urls:
                yield scrapy.Request(link, callback=self.parse_article, errback=self.article_failed)
        if next_url and page < self.max_listing_pages:
            yield scrapy.Request(next_url, callback=self.parse_listing, errback=self.listing_failed,
                                 cb_kwargs={"page": page + 1})

    def listing_failed(self, failure):
        self.on_listing(False)
        reason = "it is larger than the page size limit (max_page_mb)" if _too_large(failure) else \
            failure.getErrorMessage()
        self.on_problem(f"{self.source_name}: listing {failure.request.url} failed: {reason}")

    async def parse_article(self, response):
        capture = items.Capture(
            source=self.source_name, url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url, status=response.status, fetched_at=utcnow(), outcome=items.OK,
            body=response.body, content_type=_header(response, "Content-Type"),
            etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified"),
            redirect_urls=list(response.request.meta.get("redirect_urls", [])),
            extractor=self.extractor, headers=_headers(response),
        )
        if response.status == 304:
            capture.outcome, capture.body = items.NOT_MODIFIED, b""
        elif response.status == 200 and self._same_bytes(response):
            capture.outcome, capture.body = items.SAME_BYTES, b""
        else:
            how = dict(text=lambda: response.text, profile=self.profile, fallback=self.fallback,
                       is_landing=bool(capture.redirect_urls) and self._is_landing(response.url),
                       accepts_json=self.profile.extractor == "govuk")
            if self.extract_pool is None:
                judge(capture, **how)
            else:
                capture = await self.extract_pool.judge(capture, **how)
        if self.sink is not None:
            # Straight to the archive writer, skipping Scrapy's item machinery (a task per
            # output); the response stays counted by Scrapy's scraper until it is written.
            pending = self.sink(capture)
            if isinstance(pending, Future):
                await asyncio.wrap_future(pending)
            elif isinstance(pending, asyncio.Future):
                await pending
            return
        yield capture

    def _same_bytes(self, response) -> bool:
        known = self.raw_hashes.get(response.url)
        return known is not None and not response.request.meta.get("redirect_urls") and \
            hashlib.sha256(response.body).hexdigest() == known

    def _is_landing(self, url: str) -> bool:
        return is_landing(url, self.start_urls)

    def article_failed(self, failure):
        request = failure.request
        outcome = items.NETWORK_ERROR
        if failure.check(IgnoreRequest) and STOPPING in failure.getErrorMessage():
            return   # a stop request cut the wait short: nothing was fetched, nothing to record
        if _too_large(failure):
            outcome = items.TOO_LARGE
        elif failure.check(IgnoreRequest) and LEFT_FOR_NEXT_PASS in failure.getErrorMessage():
            outcome = items.NETWORK_ERROR if f"is {UNREACHABLE} (" in failure.getErrorMessage() else items.HTTP_ERROR
        elif failure.check(IgnoreRequest) and not host_allowed(request.url, self.allowed_domains,
                                                               site_ports(self.start_urls)):
            outcome = items.OFFSITE
        elif failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            outcome = items.ROBOTS
        redirects = list(request.meta.get("redirect_urls", []))
        error = failure.getErrorMessage()
        if outcome == items.TOO_LARGE:
            limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            error = f"the response is larger than the page size limit ({limit:,} bytes, max_page_mb)"
        yield items.Capture(
            source=self.source_name, url=redirects[0] if redirects else request.url,
            final_url=request.url, status=None, fetched_at=utcnow(), outcome=outcome,
            error=error[:500], redirect_urls=redirects, extractor=self.extractor,
        )




def _too_large(failure) -> bool:
    """Scrapy gave up on the response because of DOWNLOAD_MAXSIZE: cancelled as it arrived, or
    ignored when its decompressed body grew past the limit (a gzip bomb)."""
    if failure.check(DownloadCancelledError, defer.CancelledError):
        return True
    message = failure.getErrorMessage()
    return bool(failure.check(IgnoreRequest)) and ("DOWNLOAD_MAXSIZE" in message or "max size" in message)


def _conditional(known: dict) -> dict:
    """If-None-Match / If-Modified-Since from the last good fetch: a 304 answer costs no body."""
    headers = {}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    return headers


def _is_xml(response) -> bool:
    return "xml" in (_header(response, "Content-Type") or "").lower()


def _is_json(response) -> bool:
    return "json" in (_header(response, "Content-Type") or "").lower()


def _govuk_links(response) -> list[str]:
    """Content API URLs of the results of a GOV.UK search API page."""
    try:
        results = json.loads(response.text).get("results") or []
    except (ValueError, AttributeError):
        return []
    return [urljoin(response.url, "/api/content" + r["link"]) for r in results
            if isinstance(r, dict) and str(r.get("link", "")).startswith("/")]


def _is_feed(response) -> bool:
    head = response.body[:512].lstrip().lower()
    return (_is_xml(response) or head.startswith(b"<?xml")) and (b"<rss" in head or b"<feed" in head)


def _headers(response) -> list[tuple[str, str]]:
    """Every response header as received (repeats kept), for the capture's WARC record."""
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items() for value in values]


def _is_html(response) -> bool:
    ctype = (_header(response, "Content-Type") or "text/html").lower()
    return "html" in ctype


