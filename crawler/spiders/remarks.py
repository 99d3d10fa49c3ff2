"""The generic remarks spider: walk a source's listing pages, fetch and extract each article."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import scrapy
from dateutil import parser as dateparser
from parsel import Selector
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet import defer
from scrapy.utils.sitemap import Sitemap

from remarkwatch.crawler import items
from remarkwatch.crawler.judge import is_landing, judge
from remarkwatch.crawler.extract import EXTRACTOR_VERSION, extract_listing, fallback_profile
from remarkwatch.crawler.markupcost import MarkupTooCostly
from remarkwatch.crawler.middlewares.offsite import host_allowed, site_ports
from remarkwatch.crawler.middlewares.politeness import LEFT_FOR_NEXT_PASS, STOPPING, UNREACHABLE
from remarkwatch.crawler.profiles import Profile, get_profile

logger = logging.getLogger(__name__)


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RemarksSpider(scrapy.Spider):
    name = "remarks"

    def __init__(self, *, source_name: str, start_urls: list[str], allowed_domains: list[str],
                 profile: Profile, max_listing_pages: int = 1, sink: Callable | None = None,
                 on_problem: Callable[[str], None] | None = None, known_urls: list[dict] = (),
                 on_listing: Callable[[bool], None] | None = None, skip_urls: frozenset = frozenset(),
                 checked: dict | None = None, signals_since: str | None = None,
                 on_signal: Callable[[str, str], None] | None = None, extract_pool=None, **kwargs):
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
        base = self.start_urls[0] if self.start_urls else ""
        if self.checked and self.signals_since is not None:
            for path in self.profile.sitemaps:   # only flags archived documents: useless on a first pass
                yield scrapy.Request(urljoin(base, path), callback=self.parse_sitemap,
                                     errback=self.signal_failed, priority=2)
        if self.checked and self.signals_since is not None:
            # WordPress reads a modified_after without an offset in the site's own timezone: ask
            # from a day earlier; each post is still compared with its document's last check.
            since = (self.signals_since - timedelta(days=1)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            for template in self.profile.rest:
                yield scrapy.Request(urljoin(base, template.replace("{since}", since)), callback=self.parse_rest,
                                     errback=self.signal_failed, priority=2, cb_kwargs={"page": 1})
        for path in self.profile.feeds:
            yield scrapy.Request(urljoin(base, path), callback=self.parse_feed, errback=self.signal_failed,
                                 priority=2)
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

    def parse_sitemap(self, response):
        """A sitemap index (its newer child sitemaps are read) or a urlset, whose lastmod newer
        than a document's last check flags it for a fetch now, whatever its schedule."""
        if response.status != 200:
            self.on_problem(f"{self.source_name}: sitemap {response.url} answered HTTP {response.status}")
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds on a broken document
            self.on_problem(f"{self.source_name}: sitemap {response.url} is not readable XML: {exc}")
            return
        for entry in sitemap:
            loc, lastmod = entry.get("loc"), _when(entry.get("lastmod"))
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                include = self.profile.sitemap_include
                if (include is None or include.search(loc)) and (lastmod is None or lastmod > self.signals_since):
                    yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.signal_failed, priority=2)
            elif loc in self.checked and self._newer_than_check(loc, lastmod):
                self.on_signal("sitemap", loc)
                yield scrapy.Request(loc, callback=self.parse_article, errback=self.article_failed, priority=1)

    def parse_rest(self, response, page: int):
        """WordPress REST posts modified since the last pass: archived ones newer than their last
        check are fetched now, unknown ones are new releases. Pages are followed up to ten."""
        if response.status != 200:
            self.on_problem(f"{self.source_name}: REST {response.url} answered HTTP {response.status}")
            return
        try:
            posts = json.loads(response.text)
        except ValueError:
            self.on_problem(f"{self.source_name}: REST {response.url} is not JSON")
            return
        if not isinstance(posts, list):
            return
        for post in posts:
            link, modified = post.get("link") if isinstance(post, dict) else None, None
            if isinstance(post, dict) and post.get("modified_gmt"):
                modified = _when(post["modified_gmt"])
            if not link:
                continue
            if link in self.checked and not self._newer_than_check(link, modified):
                continue
            self.on_signal("rest", link)
            yield scrapy.Request(link, callback=self.parse_article, errback=self.article_failed, priority=1)
        total = int(_header(response, "X-WP-TotalPages") or 1)
        if page < min(total, 10):
            parts = urlsplit(response.url)
            query = urlencode([*((k, v) for k, v in parse_qsl(parts.query) if k != "page"), ("page", page + 1)])
            yield scrapy.Request(parts._replace(query=query).geturl(), callback=self.parse_rest,
                                 errback=self.signal_failed, priority=2, cb_kwargs={"page": page + 1})

    def parse_feed(self, response):
        """RSS items or Atom entries not yet archived are fetched as new releases."""
        if response.status != 200:
            self.on_problem(f"{self.source_name}: feed {response.url} answered HTTP {response.status}")
            return
        for link in _feed_links(response):
            if link not in self.checked and link not in self.skip_urls:
                self.on_signal("feed", link)
                yield scrapy.Request(link, callback=self.parse_article, errback=self.article_failed, priority=1)

    def _newer_than_check(self, url: str, modified: datetime | None) -> bool:
        """A signal's modification time is after the archived document's last check."""
        last = _when(self.checked.get(url))
        return modified is not None and (last is None or modified > last)

    def on_signal(self, kind: str, url: str) -> None:
        """Count a page flagged by a signal once, by the first signal that named it."""
        if url not in self._signalled:
            self._signalled.add(url)
            self._on_signal(kind, url)

    def signal_failed(self, failure):
        self.on_problem(f"{self.source_name}: {failure.request.url} failed: {failure.getErrorMessage()}")

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


def _when(text: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 (sitemaps write dates with or without a time)."""
    if not text:
        return None
    try:
        value = dateparser.isoparse(text.strip())
    except (ValueError, OverflowError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


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


def _feed_links(response) -> list[str]:
    """Item links of an RSS feed or entry links of an Atom feed, in feed order."""
    selector = Selector(text=response.text, type="xml")
    links = selector.xpath("//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href").getall()
    return list(dict.fromkeys(urljoin(response.url, href.strip()) for href in links if href.strip()))


def _headers(response) -> list[tuple[str, str]]:
    """Every response header as received (repeats kept), for the capture's WARC record."""
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items() for value in values]


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _is_html(response) -> bool:
    ctype = (_header(response, "Content-Type") or "text/html").lower()
    return "html" in ctype


